package io.sluice;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/*
 * A concurrent log-linear histogram of round-trip times, drained once per window.
 *
 * Buckets: values are first scaled to units of 1024 ns (about a microsecond). Units below 16 get a
 * bucket each; above, every octave [2^e, 2^(e+1)) is cut into 16 equal sub-buckets, so a bucket is
 * at most 1/16 of its lower bound wide and its midpoint is within about 3% of any value in it (the
 * HdrHistogram layout with one significant hex digit). Octaves stop at 2^40 units (about 26 days);
 * larger values land in the last bucket. 608 buckets in all.
 *
 * Concurrency: any number of writers record with one atomic add on the bucket and two on the
 * totals; they never wait. One drainer at a time (the limiter's window closer) empties the buckets
 * with an atomic swap each, so a value recorded during a drain is counted in this window or in the
 * next one, never lost and never counted twice. The totals are swapped the same way; because the
 * bucket and the totals are separate words, a value recorded during a drain may be split between
 * two windows, which only blurs that window's mean by one sample.
 */
final class RttHistogram {
  static final int UNIT_SHIFT = 10;
  static final int SUB_BITS = 4;
  static final int SUB_BUCKETS = 1 << SUB_BITS;
  static final int MAX_EXPONENT = 40;
  static final int BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB_BUCKETS;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLong count = new AtomicLong();
  private final AtomicLong sum = new AtomicLong();

  /** Records one round-trip time; negative values count as zero. Lock-free, wait-free on x86. */
  void record(long nanos) {
    long value = Math.max(0L, nanos);
    counts.getAndIncrement(bucketOf(value));
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

  static int bucketOf(long nanos) {
    long units = nanos >>> UNIT_SHIFT;
    if (units < SUB_BUCKETS) {
      return (int) units;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(units);
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (units >>> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1);
    return (exponent - SUB_BITS + 1) * SUB_BUCKETS + sub;
  }

  static long lowerBoundNanos(int bucket) {
    int block = bucket >>> SUB_BITS;
    long sub = bucket & (SUB_BUCKETS - 1);
    if (block == 0) {
      return sub << UNIT_SHIFT;
    }
    int exponent = block + SUB_BITS - 1;
    return ((1L << exponent) | (sub << (exponent - SUB_BITS))) << UNIT_SHIFT;
  }

  static long widthNanos(int bucket) {
    int block = bucket >>> SUB_BITS;
    return block == 0 ? 1L << UNIT_SHIFT : 1L << (block - 1 + UNIT_SHIFT);
  }

  /** Returns the value reported for a bucket: its midpoint. */
  static long representativeNanos(int bucket) {
    return lowerBoundNanos(bucket) + widthNanos(bucket) / 2;
  }

  /** Returns how many values of the drained {@code counts} lie in buckets whose midpoint exceeds {@code nanos}. */
  static long countAbove(long[] counts, long nanos) {
    long above = 0;
    for (int i = BUCKETS - 1; i >= 0 && representativeNanos(i) > nanos; i--) {
      above += counts[i];
    }
    return above;
  }

  /** Returns the value at quantile {@code q} of the drained {@code counts} holding {@code total}. */
  static long valueAtQuantile(long[] counts, long total, double q) {
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1L, Math.min(total, (long) Math.ceil(q * total)));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return representativeNanos(i);
      }
    }
    return representativeNanos(BUCKETS - 1);
  }
}
