package io.sluice.metrics;

import io.sluice.internal.Args;
import io.sluice.internal.LogLinearBuckets;
import java.util.Arrays;

/**
 * An immutable latency distribution: how many values were recorded, their exact total, and their
 * quantiles to within about 3% (buckets 1/16 of an octave wide, HdrHistogram's log-linear layout
 * with one significant hex digit); below 16 us buckets are 1 us wide, so a wait of 0 reads 0.5 us.
 *
 * <p>Snapshots taken from a limiter or guard are <em>cumulative</em>: everything recorded since it
 * was built. The distribution of an <em>interval</em> is the difference of two snapshots of the
 * same source, {@code later.minus(earlier)}: each reader keeps its own previous snapshot, so any
 * number of readers take intervals without disturbing the writers or each other (an HdrHistogram
 * {@code Recorder}'s interval histogram, by contrast, is consumed by whoever takes it).
 *
 * <p>Immutable and thread-safe.
 */
public final class LatencySnapshot {
  private static final LatencySnapshot EMPTY = new LatencySnapshot(new long[0], 0, 0);

  /** Counts per bucket, trimmed after the highest non-empty one; never mutated or exposed. */
  private final long[] counts;
  private final long count;
  private final long totalNanos;

  private LatencySnapshot(long[] counts, long count, long totalNanos) {
    this.counts = counts;
    this.count = count;
    this.totalNanos = totalNanos;
  }

  /** Returns the distribution of nothing. */
  public static LatencySnapshot empty() {
    return EMPTY;
  }

  /**
   * Returns the distribution of {@code bucketCounts}, the number of values in each bucket (values
   * {@code v} with {@code bucketOf(v) == i} count in {@code bucketCounts[i]}), and
   * {@code totalNanos}, their exact sum: for implementations of a guard's {@code snapshot()} that
   * record their own latencies. The array is copied.
   *
   * @param bucketCounts zero or more per bucket, at most {@code bucketOf(Long.MAX_VALUE) + 1} long
   * @param totalNanos zero or more
   */
  public static LatencySnapshot of(long[] bucketCounts, long totalNanos) {
    Args.notNull("bucketCounts", bucketCounts);
    Args.inRange("bucketCounts length", bucketCounts.length, 0, LogLinearBuckets.BUCKETS);
    Args.inRange("totalNanos", totalNanos, 0L, Long.MAX_VALUE);
    for (long count : bucketCounts) {
      Args.inRange("bucket count", count, 0L, Long.MAX_VALUE);
    }
    return trimmed(bucketCounts, totalNanos); // copies
  }

  /**
   * Returns the bucket that holds {@code nanos}: 1 us wide below 16 us, then 16 per octave (each
   * at most 1/16 of its lower bound wide); values of about 26 days or more share the last.
   *
   * @param nanos zero or more
   */
  public static int bucketOf(long nanos) {
    return LogLinearBuckets.bucketOf(Args.inRange("nanos", nanos, 0L, Long.MAX_VALUE));
  }

  private static LatencySnapshot trimmed(long[] buckets, long totalNanos) {
    int length = buckets.length;
    while (length > 0 && buckets[length - 1] == 0) {
      length--;
    }
    if (length == 0 && totalNanos == 0) {
      return EMPTY;
    }
    long n = 0;
    for (int i = 0; i < length; i++) {
      n += buckets[i];
    }
    return new LatencySnapshot(Arrays.copyOf(buckets, length), n, Math.max(0L, totalNanos));
  }

  /** Returns how many values were recorded. */
  public long count() {
    return count;
  }

  /** Returns the sum of the values, in nanoseconds. */
  public long totalNanos() {
    return totalNanos;
  }

  /** Returns the mean value in nanoseconds; 0 when empty. */
  public long meanNanos() {
    return count == 0 ? 0 : totalNanos / count;
  }

  /**
   * Returns the value at quantile {@code q} in nanoseconds (the midpoint of its bucket: within
   * about 3%, or 0.5 us below 16 us); 0 when empty.
   *
   * @param q in [0, 1]
   */
  public long valueAtQuantile(double q) {
    return LogLinearBuckets.valueAtQuantile(counts, count, Args.inRange("q", q, 0.0, 1.0));
  }

  /**
   * Returns how many values lie in buckets that end at or below {@code nanos}: the values below it,
   * exactly when {@code nanos} is a bucket boundary (1024 ns times any power of two is one), and
   * leaving out the bucket that straddles it otherwise. A histogram's cumulative "le" count.
   */
  public long countBelow(long nanos) {
    long below = 0;
    for (int i = 0; i < counts.length
        && LogLinearBuckets.lowerBoundNanos(i) + LogLinearBuckets.widthNanos(i) <= nanos; i++) {
      below += counts[i];
    }
    return below;
  }

  /** Returns the largest value in nanoseconds (its bucket's midpoint); 0 when empty. */
  public long maxNanos() {
    return count == 0 ? 0 : LogLinearBuckets.representativeNanos(counts.length - 1);
  }

  /**
   * Returns the distribution of what was recorded after {@code earlier} and up to this snapshot;
   * both must come from the same source, {@code earlier} first.
   */
  public LatencySnapshot minus(LatencySnapshot earlier) {
    Args.notNull("earlier", earlier);
    long[] buckets = Arrays.copyOf(counts, counts.length);
    for (int i = 0; i < Math.min(buckets.length, earlier.counts.length); i++) {
      // A bucket only grows; clamp in case the snapshots come from different sources.
      buckets[i] = Math.max(0L, buckets[i] - earlier.counts[i]);
    }
    return trimmed(buckets, totalNanos - earlier.totalNanos);
  }

  /** Returns the distribution of the values of both snapshots together. */
  public LatencySnapshot plus(LatencySnapshot other) {
    Args.notNull("other", other);
    long[] buckets = Arrays.copyOf(counts, Math.max(counts.length, other.counts.length));
    for (int i = 0; i < other.counts.length; i++) {
      buckets[i] += other.counts[i];
    }
    return trimmed(buckets, totalNanos + other.totalNanos);
  }

  /** Two snapshots are equal when they hold the same counts per bucket and the same total. */
  @Override
  public boolean equals(Object o) {
    return o instanceof LatencySnapshot
        && totalNanos == ((LatencySnapshot) o).totalNanos
        && Arrays.equals(counts, ((LatencySnapshot) o).counts);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(counts) + Long.hashCode(totalNanos);
  }

  @Override
  public String toString() {
    return "Latency[count=" + count + ", mean=" + meanNanos() + "ns, p50=" + valueAtQuantile(0.5)
        + "ns, p99=" + valueAtQuantile(0.99) + "ns, max=" + maxNanos() + "ns]";
  }
}
