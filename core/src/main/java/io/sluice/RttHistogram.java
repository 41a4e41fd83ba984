package io.sluice;

import io.sluice.internal.LogLinearBuckets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/*
 * A concurrent log-linear histogram of round-trip times, drained once per window.
 *
 * Buckets: see LogLinearBuckets (the HdrHistogram layout with one significant hex digit: 1/16 of
 * an octave, about 3%; 608 buckets).
 *
 * Concurrency: any number of writers record with one atomic add on the bucket and two on the
 * totals; they never wait. One drainer at a time (the limiter's window closer) empties the buckets
 * with an atomic swap each, so a value recorded during a drain is counted in this window or in the
 * next one, never lost and never counted twice. The totals are swapped the same way; because the
 * bucket and the totals are separate words, a value recorded during a drain may be split between
 * two windows, which only blurs that window's mean by one sample.
 */
final class RttHistogram {
  static final int BUCKETS = LogLinearBuckets.BUCKETS;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLong count = new AtomicLong();
  private final AtomicLong sum = new AtomicLong();

  /** Records one round-trip time; negative values count as zero. Lock-free, wait-free on x86. */
  void record(long nanos) {
    long value = Math.max(0L, nanos);
    counts.getAndIncrement(LogLinearBuckets.bucketOf(value));
    sum.getAndAdd(value);
    count.getAndIncrement();
  }

  /** Returns the number of values recorded since the last drain (approximate while writers run). */
  long liveCount() {
    return count.get();
  }

  /**
   * Moves the counts into {@code target} (length {@link #BUCKETS}, overwritten) and returns the sum
   * of the values moved. Call from one thread at a time.
   */
  long drainInto(long[] target) {
    for (int i = 0; i < BUCKETS; i++) {
      // Read first: most buckets are empty, and a swap would pull their cache lines for nothing.
      target[i] = counts.get(i) == 0 ? 0 : counts.getAndSet(i, 0);
    }
    count.getAndSet(0);
    return sum.getAndSet(0);
  }
}
