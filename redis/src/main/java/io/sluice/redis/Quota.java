package io.sluice.redis;

/**
 * A rate quota as a {@link QuotaStore} evaluates it: {@code permits} per {@code period} with a
 * {@code burst}, expressed in the exact integer units of GCRA. Built by
 * {@link GlobalRateLimiter.Builder}; a store only reads it.
 *
 * <h2>Units</h2>
 * With {@code g = gcd(periodNanos, permits)}, one nanosecond is {@link #unitsPerNano()}
 * {@code = permits / g} units and one permit refills in {@link #interval()} {@code = periodNanos /
 * g} units, both integers, so a rate such as 7 per 3 seconds is exact: no refill interval is ever
 * rounded. {@link #tolerance()} {@code = burst * interval} is how far the theoretical arrival
 * time (TAT) of a bucket may run ahead of now. The builder keeps the tolerance at most
 * 2<sup>51</sup>, so every value a store computes stays below 2<sup>53</sup>: exact in a 64-bit
 * integer and in a double (Redis's Lua numbers).
 *
 * <p>Immutable and thread-safe.
 */
public final class Quota {
  /** The largest tolerance, in units: keeps every intermediate value of a step below 2^53. */
  static final long MAX_TOLERANCE = 1L << 51;

  private final long permits;
  private final long periodNanos;
  private final int burst;
  private final long unitsPerNano;
  private final long interval;
  private final long tolerance;
  // The Redis script's arguments, formatted once.
  final String unitsPerNanoArg;
  final String intervalArg;
  final String toleranceArg;

  Quota(long permits, long periodNanos, int burst) {
    long g = gcd(periodNanos, permits);
    this.permits = permits;
    this.periodNanos = periodNanos;
    this.burst = burst;
    this.unitsPerNano = permits / g;
    this.interval = periodNanos / g;
    this.tolerance = burst * interval;
    this.unitsPerNanoArg = Long.toString(unitsPerNano);
    this.intervalArg = Long.toString(interval);
    this.toleranceArg = Long.toString(tolerance);
  }

  /** Returns the permits of one period. */
  public long permits() {
    return permits;
  }

  /** Returns the period, in nanoseconds. */
  public long periodNanos() {
    return periodNanos;
  }

  /** Returns the burst: the most permits a bucket holds. */
  public int burst() {
    return burst;
  }

  /** Returns how many scaled units one nanosecond is ({@code permits / g}). */
  public long unitsPerNano() {
    return unitsPerNano;
  }

  /** Returns the scaled units one permit takes to refill ({@code periodNanos / g}). */
  public long interval() {
    return interval;
  }

  /** Returns {@code burst * interval}: how far the TAT may run ahead of now, in scaled units. */
  public long tolerance() {
    return tolerance;
  }

  /** Returns the largest burst whose tolerance stays in range for this rate. */
  static long maxBurst(long permits, long periodNanos) {
    return MAX_TOLERANCE / (periodNanos / gcd(periodNanos, permits));
  }

  static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String toString() {
    return permits + " per " + periodNanos + "ns, burst " + burst;
  }
}
