package io.sluice.internal;

import io.sluice.metrics.LatencySnapshot;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/*
 * A latency distribution that only grows: counts per LogLinearBuckets bucket and the total of the
 * values, since creation. The metrics' equivalent of HdrHistogram's Recorder, without its reset.
 *
 * Writers (any number, any thread) add with one atomic add on the bucket, then one on the total;
 * they never wait and never allocate. Nothing is ever reset, so any number of readers take their
 * own intervals as differences of two copies (LatencySnapshot.minus) without disturbing the writers
 * or each other; a Recorder's interval histogram, by contrast, is consumed by whoever takes it.
 *
 * A copy reads the total first (acquire), then each bucket (acquire). A value whose total the copy
 * saw had its bucket written before, so the copy's counts include every value of its total; they
 * may also include values recorded during the copy whose total it missed. Each bucket only grows,
 * so the difference of two copies is never negative. At rest a copy is exact.
 */
/**
 * A cumulative, lock-free latency distribution in {@link LogLinearBuckets}: writers never wait,
 * readers copy it. Not part of the API: this package is not exported.
 */
public final class CumulativeHistogram {
  private final AtomicLongArray counts = new AtomicLongArray(LogLinearBuckets.BUCKETS);
  private final AtomicLong totalNanos = new AtomicLong();

  /** Records one value in nanoseconds; negative values count as zero. Any thread; wait-free on x86. */
  public void record(long nanos) {
    long value = Math.max(0L, nanos);
    counts.getAndIncrement(LogLinearBuckets.bucketOf(value));
    if (value != 0) {
      totalNanos.getAndAdd(value);
    }
  }

  /** Adds a whole distribution ({@code bucketCounts} in {@link LogLinearBuckets}) and its total. */
  public void add(long[] bucketCounts, long total) {
    for (int i = 0; i < LogLinearBuckets.BUCKETS; i++) {
      long c = bucketCounts[i];
      if (c != 0) {
        counts.getAndAdd(i, c);
      }
    }
    totalNanos.getAndAdd(total);
  }

  /** Returns a copy of the distribution as it is now. */
  public LatencySnapshot snapshot() {
    long[] buckets = new long[LogLinearBuckets.BUCKETS];
    long total = copyInto(buckets);
    return LatencySnapshot.of(buckets, Math.max(0L, total));
  }

  /** Copies the counts into {@code target} (length {@link LogLinearBuckets#BUCKETS}); returns the total. */
  public long copyInto(long[] target) {
    long total = totalNanos.get();
    for (int i = 0; i < LogLinearBuckets.BUCKETS; i++) {
      target[i] = counts.get(i);
    }
    return total;
  }
}
