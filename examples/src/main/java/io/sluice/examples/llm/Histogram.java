package io.sluice.examples.llm;

import java.util.concurrent.atomic.AtomicLongArray;

/*
 * A lock-free histogram of durations for the gateway's own measurements (how long a refusal
 * took): log-linear buckets, 8 per power of two from 1 us, so a quantile is within about 9%.
 * Recording is one atomic increment; reading sums the buckets.
 */
final class Histogram {
  private static final int SUB_BUCKETS = 8;
  private static final int POWERS = 40;
  private static final long UNIT_NANOS = 1_000;

  private final AtomicLongArray counts = new AtomicLongArray(SUB_BUCKETS * POWERS);

  /** Records one duration. */
  void record(long nanos) {
    counts.incrementAndGet(bucket(Math.max(0, nanos) / UNIT_NANOS));
  }

  /** Forgets every duration recorded (a record racing with it may be lost). */
  void reset() {
    for (int i = 0; i < counts.length(); i++) {
      counts.set(i, 0);
    }
  }

  /** Returns how many durations were recorded. */
  long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** Returns the upper bound of the bucket holding quantile {@code q}, in nanoseconds; 0 if empty. */
  long quantileNanos(double q) {
    long total = count();
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return upperBound(i) * UNIT_NANOS;
      }
    }
    return upperBound(counts.length() - 1) * UNIT_NANOS;
  }

  private static int bucket(long units) {
    if (units < SUB_BUCKETS) {
      return (int) units;
    }
    int power = 63 - Long.numberOfLeadingZeros(units); // >= 3
    int sub = (int) ((units >>> (power - 3)) & (SUB_BUCKETS - 1));
    int index = (power - 2) * SUB_BUCKETS + sub;
    return Math.min(index, SUB_BUCKETS * POWERS - 1);
  }

  /** The largest value (in units) that falls in bucket {@code index}. */
  private static long upperBound(int index) {
    if (index < SUB_BUCKETS) {
      return index;
    }
    int power = index / SUB_BUCKETS + 2;
    int sub = index % SUB_BUCKETS;
    return ((long) (SUB_BUCKETS + sub + 1) << (power - 3)) - 1;
  }
}
