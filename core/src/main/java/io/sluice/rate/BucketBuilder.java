package io.sluice.rate;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.time.Duration;

/**
 * The settings every token bucket shares, for the builders of {@link RateLimiter},
 * {@link KeyedRateLimiter} and {@link TokenQuota}: the rate, the burst and the clock, and the
 * check that they fit GCRA's scaled arithmetic.
 *
 * @param <B> the concrete builder, returned by every setter
 */
abstract class BucketBuilder<B extends BucketBuilder<B>> {
  static final int MAX_PERMITS = 1_000_000_000;
  static final int MAX_BURST = 1_000_000_000;
  static final int MAX_KEYS = 1 << 24;
  private static final Duration MIN_PERIOD = Duration.ofNanos(1);
  private static final Duration MAX_PERIOD = Duration.ofDays(1);
  private static final Duration MAX_REFILL = Duration.ofDays(365);

  private NanoClock clock = NanoClock.system();
  private long permits;
  private long periodNanos;
  private int burst;

  BucketBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /**
   * Sets the rate: {@code permits} per {@code period}, exactly (no rounding of the refill
   * interval).
   *
   * @param permits in [1, 1,000,000,000]
   * @param period in [1 ns, 1 day]
   */
  public B rate(long permits, Duration period) {
    this.permits = Args.inRange("permits", permits, 1, MAX_PERMITS);
    this.periodNanos = Args.nanosInRange("period", period, MIN_PERIOD, MAX_PERIOD);
    return self();
  }

  /**
   * Sets the burst: the most permits a bucket holds, so the most a caller can take at once after a
   * quiet spell. The time to refill a whole burst must not exceed 365 days.
   *
   * @param burst in [1, 1,000,000,000]
   */
  public B burst(int burst) {
    this.burst = Args.inRange("burst", burst, 1, MAX_BURST);
    return self();
  }

  /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
  public B clock(NanoClock clock) {
    this.clock = Args.notNull("clock", clock);
    return self();
  }

  /** Builds the bucket arithmetic; {@code bursts} is how many bursts TAT may run ahead of now. */
  Gcra gcra(int bursts) {
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
