package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.RetryAfter;
import io.sluice.examples.http.LoadGenerator.Kind;
import io.sluice.examples.http.LoadGenerator.Sample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LevelReportTest {
  private static final long MS = 1_000_000L;

  private static Sample answered(int status, long latencyMillis, boolean critical) {
    return new Sample(0, MS, latencyMillis * MS, Kind.RESPONSE, status, RetryAfter.ABSENT,
        critical);
  }

  private static Sample ended(Kind kind, boolean critical) {
    return new Sample(0, 0, 5 * MS, kind, 0, RetryAfter.ABSENT, critical);
  }

  @Test
  void countsRatesAndPercentiles() {
    List<Sample> samples = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      samples.add(answered(200, i * 10, i % 10 == 0)); // 10 ms .. 1000 ms; 10 critical
    }
    for (int i = 0; i < 50; i++) {
      samples.add(answered(503, 2, false));
    }
    samples.add(answered(429, 1, false));
    samples.add(ended(Kind.TIMEOUT, true));
    samples.add(ended(Kind.ERROR, false));
    samples.add(ended(Kind.NOT_SENT, false));

    LevelReport r = LevelReport.of("2x", 100, 2.0, Duration.ofMillis(500), samples,
        new int[] {7, 9, 8});

    assertThat(r.sentPerSecond()).isEqualTo(153 / 2.0);
    assertThat(r.goodputPerSecond()).as("50 answers within 500 ms, over 2 s").isEqualTo(25.0);
    // Admitted: 153 sent - 50 refused (503) - 1 refused (429) = 102; good: 50.
    assertThat(r.admittedGoodRatio()).isEqualTo(50 / 102.0);
    // Critical due: 10 answered (5 within 500 ms) + 1 timed out.
    assertThat(r.criticalGoodRatio()).isEqualTo(5 / 11.0);
    assertThat(r.refused()).isEqualTo(50);
    assertThat(r.quotaRefused()).isEqualTo(1);
    assertThat(r.timeouts()).isEqualTo(1);
    assertThat(r.errors()).isEqualTo(1);
    assertThat(r.notSent()).isEqualTo(1);
    assertThat(r.p50Millis()).isEqualTo(500.0);
    assertThat(r.p99Millis()).isEqualTo(990.0);
    assertThat(r.p999Millis()).isEqualTo(1000.0);
    assertThat(r.refusalP50Millis()).isEqualTo(2.0);
    assertThat(r.medianLimit()).isEqualTo(8);
    assertThat(r.sendLagP99Millis()).as("the answered ones were sent 1 ms late").isEqualTo(1.0);
  }

  @Test
  void aLevelWithoutAnswersOrLimitShowsDashesAndNone() {
    LevelReport r = LevelReport.of("10x", 10, 1.0, Duration.ofMillis(500),
        List.of(ended(Kind.TIMEOUT, false)), new int[0]);
    assertThat(r.p99Millis()).isNaN();
    assertThat(r.medianLimit()).isEqualTo(-1);
    String table = LevelReport.table(List.of(r));
    assertThat(table.lines()).hasSize(2);
    assertThat(table.lines().skip(1).findFirst().orElseThrow()).startsWith("  10x")
        .contains(" - ", " none ");
  }
}
