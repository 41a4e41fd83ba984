package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.internal.CumulativeHistogram;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The cumulative "le" counts that histogram exporters read, against exact counts. */
class LatencySnapshotCountBelowTest {

  @Test
  void atEveryPowerOfTwoBoundaryTheCountIsExact() {
    SplittableRandom random = new SplittableRandom(11);
    CumulativeHistogram histogram = new CumulativeHistogram();
    long[] values = new long[20_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) Math.exp(random.nextDouble(Math.log(1L << 40)));
      histogram.record(values[i]);
    }
    LatencySnapshot s = histogram.snapshot();
    for (int k = 0; k <= 30; k++) {
      long bound = 1024L << k;
      long exact = 0;
      for (long v : values) {
        exact += v < bound ? 1 : 0;
      }
      assertThat(s.countBelow(bound)).as("below %d ns", bound).isEqualTo(exact);
    }
    assertThat(s.countBelow(Long.MAX_VALUE)).isEqualTo(s.count());
    assertThat(s.countBelow(0)).isZero();
  }

  @Test
  void aBoundInsideABucketLeavesThatBucketOut() {
    CumulativeHistogram histogram = new CumulativeHistogram();
    histogram.record(100_000);   // the bucket [98304, 102400) ns
    histogram.record(500);       // the first bucket, [0, 1024) ns
    LatencySnapshot s = histogram.snapshot();
    assertThat(s.countBelow(1024)).isEqualTo(1);
    assertThat(s.countBelow(100_001)).isEqualTo(1);
    assertThat(s.countBelow(102_400)).isEqualTo(2);
    assertThat(LatencySnapshot.empty().countBelow(Long.MAX_VALUE)).isZero();
  }
}
