package io.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.AimdLimit;
import io.sluice.limit.LimitAlgorithm;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The fixture's statistics are exact, and an algorithm can be driven with it window by window. */
class WindowFixtureTest {
  private static final long MS = 1_000_000L;

  @Test
  void statisticsAreExactNearestRank() {
    WindowFixture w = WindowFixture.atLimit(10).samples(90, 10 * MS).samples(10, 50 * MS)
        .drops(5).unsampled(3).rejections(7).durationNanos(200 * MS);
    assertThat(w.sampleCount()).isEqualTo(100);
    assertThat(w.completions()).isEqualTo(108);
    assertThat(w.drops()).isEqualTo(5);
    assertThat(w.rejections()).isEqualTo(7);
    assertThat(w.rttNanos(0.9)).isEqualTo(10 * MS);
    assertThat(w.rttNanos(0.91)).isEqualTo(50 * MS);
    assertThat(w.rttNanos(0)).isEqualTo(10 * MS);
    assertThat(w.samplesAbove(10 * MS)).isEqualTo(10);
    assertThat(w.meanRttNanos()).isEqualTo(14 * MS);
    assertThat(w.throughputPerSecond()).isEqualTo(540.0);
    assertThat(w.dropRatio()).isEqualTo(5.0 / 108);
    assertThat(w.limit()).isEqualTo(10);
    assertThat(w.maxInFlight()).isEqualTo(10);
    assertThat(WindowFixture.atLimit(3).rttNanos(0.5)).isZero();
    assertThat(WindowFixture.atLimit(3).meanRttNanos()).isZero();
  }

  @Test
  void drivesAnAlgorithmOneWindowAtATime() {
    LimitAlgorithm aimd = AimdLimit.newBuilder().initialLimit(20)
        .timeout(Duration.ofMillis(100)).build();
    int limit = aimd.initialLimit();
    int afterDrops = aimd.update(WindowFixture.atLimit(limit).samples(50, 5 * MS).drops(20));
    assertThat(afterDrops).isLessThan(limit);
    int afterGood = aimd.update(WindowFixture.atLimit(afterDrops).samples(100, 5 * MS));
    assertThat(afterGood).isGreaterThan(afterDrops);
  }

  @Test
  void badArgumentsNameTheParameterAndTheRange() {
    assertThatThrownBy(() -> WindowFixture.atLimit(0))
        .hasMessage("limit must be in [1, 2147483647] but was 0");
    assertThatThrownBy(() -> WindowFixture.atLimit(1).samples(-1, MS))
        .hasMessage("count must be in [0, 2147483647] but was -1");
    assertThatThrownBy(() -> WindowFixture.atLimit(1).durationNanos(0))
        .hasMessageStartingWith("durationNanos must be in [1, ");
    assertThatThrownBy(() -> WindowFixture.atLimit(1).rttNanos(1.5))
        .hasMessage("q must be in [0.0, 1.0] but was 1.5");
  }
}
