package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Percentage.withPercentage;

import io.sluice.internal.CumulativeHistogram;
import io.sluice.internal.LogLinearBuckets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Quantiles, intervals and sums of latency snapshots, against exact values. */
class LatencySnapshotTest {
  private static final long MS = 1_000_000L;

  @Test
  void quantilesAreWithinThreePercentOfTheExactOnesAndTotalsAreExact() {
    SplittableRandom random = new SplittableRandom(7);
    CumulativeHistogram histogram = new CumulativeHistogram();
    long[] values = new long[10_000];
    long total = 0;
    for (int i = 0; i < values.length; i++) {
      values[i] = MS + random.nextLong(99 * MS);
      histogram.record(values[i]);
      total += values[i];
    }
    Arrays.sort(values);
    LatencySnapshot s = histogram.snapshot();

    assertThat(s.count()).isEqualTo(values.length);
    assertThat(s.totalNanos()).isEqualTo(total);
    assertThat(s.meanNanos()).isEqualTo(total / values.length);
    for (double q : new double[] {0.0, 0.5, 0.9, 0.99, 1.0}) {
      long exact = values[(int) Math.max(0, Math.ceil(q * values.length) - 1)];
      assertThat((double) s.valueAtQuantile(q)).as("q=%s", q).isCloseTo(exact,
          withPercentage(3.2));
    }
    assertThat(s.maxNanos()).isEqualTo(s.valueAtQuantile(1.0));
  }

  @Test
  void anIntervalIsTheDifferenceOfTwoSnapshotsAndPlusAddsThemUp() {
    CumulativeHistogram histogram = new CumulativeHistogram();
    histogram.record(2 * MS);
    histogram.record(4 * MS);
    LatencySnapshot first = histogram.snapshot();
    histogram.record(50 * MS);
    histogram.add(new long[LogLinearBuckets.BUCKETS], 0);
    LatencySnapshot second = histogram.snapshot();

    LatencySnapshot interval = second.minus(first);
    assertThat(interval.count()).isEqualTo(1);
    assertThat(interval.totalNanos()).isEqualTo(50 * MS);
    assertThat(first.plus(interval)).isEqualTo(second).hasSameHashCodeAs(second);
    assertThat(second.minus(second)).isEqualTo(LatencySnapshot.empty());
    assertThat(LatencySnapshot.empty().valueAtQuantile(0.99)).isZero();
    assertThat(LatencySnapshot.empty().maxNanos()).isZero();
    assertThat(LatencySnapshot.empty().meanNanos()).isZero();
  }

  @Test
  void aQuantileOutsideZeroToOneIsRefused() {
    assertThatThrownBy(() -> LatencySnapshot.empty().valueAtQuantile(1.5))
        .hasMessage("q must be in [0.0, 1.0] but was 1.5");
    assertThatThrownBy(() -> LatencySnapshot.empty().minus(null))
        .hasMessage("earlier must not be null");
  }
}
