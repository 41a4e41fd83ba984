package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.internal.LogLinearBuckets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class RttHistogramTest {

  @Test
  void everyValueLandsInABucketThatContainsIt() {
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 100_000; i++) {
      long value = random.nextLong(0, 1L << random.nextInt(1, 51));
      int bucket = LogLinearBuckets.bucketOf(value);
      long low = LogLinearBuckets.lowerBoundNanos(bucket);
      long width = LogLinearBuckets.widthNanos(bucket);
      assertThat(value).isBetween(low, low + width - 1);
      // The representative value is within 1/32 of the value (plus the 1 us floor).
      long error = Math.abs(LogLinearBuckets.representativeNanos(bucket) - value);
      assertThat(error).isLessThanOrEqualTo(Math.max(512, value / 16));
    }
  }

  @Test
  void bucketsAreContiguousAndOrdered() {
    for (int b = 1; b < RttHistogram.BUCKETS; b++) {
      assertThat(LogLinearBuckets.lowerBoundNanos(b))
          .isEqualTo(LogLinearBuckets.lowerBoundNanos(b - 1) + LogLinearBuckets.widthNanos(b - 1));
    }
  }

  @Test
  void quantilesAndCountsFromADrain() {
    RttHistogram histogram = new RttHistogram();
    for (int ms = 1; ms <= 100; ms++) {
      histogram.record(ms * 1_000_000L);
    }
    long[] counts = new long[RttHistogram.BUCKETS];
    long sum = histogram.drainInto(counts);
    assertThat(sum).isEqualTo(5050 * 1_000_000L);
    assertThat(Arrays.stream(counts).sum()).isEqualTo(100);
    assertThat(LogLinearBuckets.valueAtQuantile(counts, 100, 0.5) / 1e6).isBetween(48.5, 51.5);
    assertThat(LogLinearBuckets.valueAtQuantile(counts, 100, 0.99) / 1e6).isBetween(96.0, 102.0);
    // A value counts as above when its bucket's representative is: exact to bucket precision.
    long threshold = 90_500_000L;
    long expectedAbove = java.util.stream.LongStream.rangeClosed(1, 100)
        .filter(ms -> LogLinearBuckets.representativeNanos(LogLinearBuckets.bucketOf(ms * 1_000_000L)) > threshold)
        .count();
    assertThat(LogLinearBuckets.countAbove(counts, threshold)).isEqualTo(expectedAbove).isBetween(6L, 14L);
    // Drained: the histogram starts over.
    assertThat(histogram.liveCount()).isZero();
    assertThat(histogram.drainInto(counts)).isZero();
    assertThat(Arrays.stream(counts).sum()).isZero();
  }

  @Test
  void concurrentRecordingAndDrainingLosesNothing() throws InterruptedException {
    RttHistogram histogram = new RttHistogram();
    int threads = 4;
    int perThread = 200_000;
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      long value = (t + 1) * 1_000_000L;
      new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          histogram.record(value);
        }
        done.countDown();
      }).start();
    }
    long[] counts = new long[RttHistogram.BUCKETS];
    long total = 0;
    long sum = 0;
    while (done.getCount() > 0) {
      sum += histogram.drainInto(counts);
      total += Arrays.stream(counts).sum();
    }
    done.await();
    sum += histogram.drainInto(counts);
    total += Arrays.stream(counts).sum();
    assertThat(total).isEqualTo((long) threads * perThread);
    assertThat(sum).isEqualTo(perThread * 1_000_000L * (1 + 2 + 3 + 4));
  }
}
