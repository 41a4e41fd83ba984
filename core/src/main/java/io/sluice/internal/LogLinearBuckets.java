package io.sluice.internal;

/*
 * The bucket layout shared by the limiter's window histogram and every latency distribution of the
 * metrics: log-linear, as HdrHistogram lays out its counts, with one significant hex digit.
 *
 * Values are first scaled to units of 1024 ns (about a microsecond). Units below 16 get a bucket
 * each; above, every octave [2^e, 2^(e+1)) is cut into 16 equal sub-buckets, so a bucket is at most
 * 1/16 of its lower bound wide and its midpoint is within about 3% of any value in it. Octaves stop
 * at 2^40 units (about 26 days); larger values land in the last bucket. 608 buckets in all, so a
 * whole distribution is a fixed long[608]: recording never allocates or resizes.
 */
/**
 * Bucket arithmetic of Sluice's log-linear latency histograms (1/16-octave buckets, about 3%).
 * Stateless; not part of the API: this package is not exported.
 */
public final class LogLinearBuckets {
  static final int UNIT_SHIFT = 10;
  static final int SUB_BITS = 4;
  static final int SUB_BUCKETS = 1 << SUB_BITS;
  static final int MAX_EXPONENT = 40;

  /** The number of buckets of a distribution. */
  public static final int BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB_BUCKETS;

  private LogLinearBuckets() {}

  /** Returns the bucket of a value in nanoseconds (zero or more). */
  public static int bucketOf(long nanos) {
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

  /** Returns the smallest value of a bucket, in nanoseconds. */
  public static long lowerBoundNanos(int bucket) {
    int block = bucket >>> SUB_BITS;
    long sub = bucket & (SUB_BUCKETS - 1);
    if (block == 0) {
      return sub << UNIT_SHIFT;
    }
    int exponent = block + SUB_BITS - 1;
    return ((1L << exponent) | (sub << (exponent - SUB_BITS))) << UNIT_SHIFT;
  }

  /** Returns the width of a bucket, in nanoseconds. */
  public static long widthNanos(int bucket) {
    int block = bucket >>> SUB_BITS;
    return block == 0 ? 1L << UNIT_SHIFT : 1L << (block - 1 + UNIT_SHIFT);
  }

  /** Returns the value reported for a bucket: its midpoint. */
  public static long representativeNanos(int bucket) {
    return lowerBoundNanos(bucket) + widthNanos(bucket) / 2;
  }

  /** Returns how many values of {@code counts} lie in buckets whose midpoint exceeds {@code nanos}. */
  public static long countAbove(long[] counts, long nanos) {
    long above = 0;
    for (int i = BUCKETS - 1; i >= 0 && representativeNanos(i) > nanos; i--) {
      above += counts[i];
    }
    return above;
  }

  /**
   * Returns the value at quantile {@code q} of {@code counts} (the first buckets, possibly fewer
   * than {@link #BUCKETS}), which hold {@code total} values; 0 when {@code total} is 0.
   */
  public static long valueAtQuantile(long[] counts, long total, double q) {
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1L, Math.min(total, (long) Math.ceil(q * total)));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return representativeNanos(i);
      }
    }
    return representativeNanos(counts.length - 1);
  }
}
