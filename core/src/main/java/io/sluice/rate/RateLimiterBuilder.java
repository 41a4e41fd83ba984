package io.sluice.rate;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.time.Duration;

/**
 * Configures and builds a {@link RateLimiter}, a {@link KeyedRateLimiter} or a {@link TokenQuota}. Every setter checks its
 * argument at once, and {@link #build()} checks the combination, with an
 * {@link IllegalArgumentException} that names the parameter, the value and the allowed range.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>{@link #rate}</td><td>none: required</td></tr>
 *   <tr><td>{@link #burst}</td><td>the permits of one period, at most 1,000,000</td></tr>
 *   <tr><td>{@link #maxKeys}</td><td>10,000 (keyed limiters and token quotas only)</td></tr>
 *   <tr><td>{@link #maxPending}</td><td>65,536 (token quotas only)</td></tr>
 *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
 * </table>
 *
 * <p>Not thread-safe; build on one thread, then share what it builds.
 */
public final class RateLimiterBuilder {
  static final int MAX_PERMITS = 1_000_000_000;
  static final int MAX_BURST = 1_000_000_000;
  static final int MAX_KEYS = 1 << 24;
  static final int MAX_PENDING = Reservations.MAX_CAPACITY;
  private static final Duration MIN_PERIOD = Duration.ofNanos(1);
  private static final Duration MAX_PERIOD = Duration.ofDays(1);
  private static final Duration MAX_REFILL = Duration.ofDays(365);

  private NanoClock clock = NanoClock.system();
  private long permits;
  private long periodNanos;
  private int burst;
  private int maxKeys = 10_000;
  private int maxPending = 1 << 16;

  RateLimiterBuilder() {}

  /**
   * Sets the rate: {@code permits} per {@code period}, exactly (no rounding of the refill interval).
   *
   * @param permits in [1, 1,000,000,000]
   * @param period in [1 ns, 1 day]
   */
  public RateLimiterBuilder rate(long permits, Duration period) {
    this.permits = Args.inRange("permits", permits, 1, MAX_PERMITS);
    this.periodNanos = Args.nanosInRange("period", period, MIN_PERIOD, MAX_PERIOD);
    return this;
  }

  /**
   * Sets the burst: the most permits the bucket holds, so the most a caller can take at once after
   * a quiet spell. The time to refill a whole burst must not exceed 365 days.
   *
   * @param burst in [1, 1,000,000,000]
   */
  public RateLimiterBuilder burst(int burst) {
    this.burst = Args.inRange("burst", burst, 1, MAX_BURST);
    return this;
  }

  /**
   * Sets the most keys a keyed limiter tracks at once; see {@link KeyedRateLimiter} for what happens
   * when they are all in use.
   *
   * @param maxKeys in [1, 16777216]
   */
  public RateLimiterBuilder maxKeys(int maxKeys) {
    this.maxKeys = Args.inRange("maxKeys", maxKeys, 1, MAX_KEYS);
    return this;
  }

  /**
   * Sets the most reservations a token quota holds at once (admitted, not yet reconciled), rounded
   * up to a power of two of at least 256; see {@link TokenQuota} for what happens when they are
   * all held. Memory follows the reservations actually held (16 bytes or so each), not this bound.
   *
   * @param maxPending in [1, 16777216]
   */
  public RateLimiterBuilder maxPending(int maxPending) {
    this.maxPending = Args.inRange("maxPending", maxPending, 1, MAX_PENDING);
    return this;
  }

  /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
  public RateLimiterBuilder clock(NanoClock clock) {
    this.clock = Args.notNull("clock", clock);
    return this;
  }

  /**
   * Builds a single token bucket, full.
   *
   * @throws IllegalArgumentException if no rate was set, or the burst does not fit the rate
   */
  public RateLimiter build() {
    return new TokenBucketRateLimiter(gcra(1));
  }

  /**
   * Builds a table of per-key token buckets; every key starts with a full bucket.
   *
   * @param <K> the key type
   * @throws IllegalArgumentException if no rate was set, or the burst does not fit the rate
   */
  public <K> KeyedRateLimiter<K> buildKeyed() {
    return new BoundedKeyedRateLimiter<>(gcra(1), maxKeys);
  }

  /**
   * Builds a table of per-key token buckets whose admissions are reconciled with their actual
   * cost; every key starts with a full bucket. The rate counts cost (tokens) per period.
   *
   * @param <K> the key type
   * @throws IllegalArgumentException if no rate was set, or the burst does not fit the rate (a
   *     quota's bucket may also owe one burst, which halves the largest burst some rates allow)
   */
  public <K> TokenQuota<K> buildTokenQuota() {
    return new BoundedTokenQuota<>(gcra(2), maxKeys, Reservations.capacityFor(maxPending));
  }

  /** Builds the bucket arithmetic; {@code bursts} is how many bursts TAT may run ahead of now. */
  private Gcra gcra(int bursts) {
    if (permits == 0) {
      throw new IllegalArgumentException("rate must be set: permits in [1, " + MAX_PERMITS
          + "] per period in [" + MIN_PERIOD + ", " + MAX_PERIOD + "] but was unset");
    }
    int chosenBurst = burst != 0 ? burst : (int) Math.min(permits, 1_000_000);
    // Scaled arithmetic (see Gcra) needs burst * interval <= 2^61, or 2^60 when a token quota's
    // bucket may owe a burst; Retry-After needs the refill time of those bursts to fit a ticket,
    // which the 365-day bound guarantees.
    long intervalUnits = 2 * (periodNanos / Gcra.gcd(periodNanos, permits));
    long byScale = (Gcra.SCALED_LIMIT >>> bursts) / intervalUnits;
    long byRefill = (long) Math.floor((double) MAX_REFILL.toNanos() * permits / periodNanos);
    long maxBurst = Math.min(MAX_BURST, Math.min(byScale, byRefill));
    if (maxBurst < 1) {
      throw new IllegalArgumentException("permits per period must refill one permit within "
          + MAX_REFILL + ": permits must be in [1, " + MAX_PERMITS + "] and period in ["
          + MIN_PERIOD + ", " + MAX_PERIOD + "] but was " + permits + " per " + periodNanos + "ns");
    }
    Args.inRange("burst (for " + permits + " permits per " + periodNanos + "ns)",
        chosenBurst, 1, (int) maxBurst);
    return new Gcra(clock, permits, periodNanos, chosenBurst);
  }
}
