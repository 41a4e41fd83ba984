package io.sluice.rate;

import com.google.errorprone.annotations.CheckReturnValue;

/**
 * A token bucket: admits on average {@code permits} per {@code period} and at most {@code burst}
 * at once, and refuses the rest with the <em>exact</em> time until enough tokens exist.
 *
 * <p>Where a {@link io.sluice.Limiter} protects a server from itself (how much concurrent work it
 * can serve), a rate limiter enforces a quota: how much a client may ask for per unit of time. Over
 * HTTP a refused quota is {@code 429 Too Many Requests}, a refused concurrency limit
 * {@code 503 Service Unavailable}; both carry {@code Retry-After}.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.newBuilder().rate(100, Duration.ofSeconds(1)).burst(20).build();
 * long ticket = limiter.tryAcquire();
 * if (Ticket.isRejection(ticket)) {
 *   throw Ticket.toException(ticket);   // RATE_LIMITED, Retry-After = time until a token exists
 * }
 * }</pre>
 *
 * <p>A permit ticket holds nothing and needs no release: tokens come back with time. A rejection
 * ticket carries {@link io.sluice.RejectReason#RATE_LIMITED} and a Retry-After after which the same
 * request is admitted, provided nobody else takes tokens meanwhile.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread. {@link #tryAcquire(int)} is lock-free (one
 * compare-and-set on success, none on refusal; a failed CAS means another thread was admitted),
 * reads the clock once (rarely twice, see below) and does not allocate,
 * except once per rebase of its scaled clock (never, for rates that divide their period; at most
 * about once a second for the least convenient rates). An admission happens-before every
 * later acquisition that observes the tokens it took.
 *
 * <h2>Guarantee</h2>
 * Over any run of time t, permits admitted never exceed {@code burst + floor(t * permits /
 * period)}, and a caller that asks greedily gets exactly that many: the arithmetic is exact, with
 * no rounding of the refill interval. A refusal's Retry-After is exact relative to the clock
 * reading the call took on entry; under concurrency it can overstate the wait by at most the time
 * the call took (a refusal that meets state written with a later reading reads the clock again).
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface RateLimiter {

  /** Returns a builder; see {@link Builder} for the settings and their defaults. */
  static Builder newBuilder() {
    return new Builder();
  }

  /** Tries to take one permit; returns a permit ticket or a {@code RATE_LIMITED} rejection. */
  @CheckReturnValue
  long tryAcquire();

  /**
   * Tries to take {@code cost} tokens at once (weighted acquire); returns a permit ticket or a
   * {@code RATE_LIMITED} rejection. A refusal takes nothing.
   *
   * @param cost in {@code [1, burst]}
   * @throws IllegalArgumentException if {@code cost} is out of range
   */
  @CheckReturnValue
  long tryAcquire(int cost);

  /** Returns the permits that could be taken now, in {@code [0, burst]}. */
  long availablePermits();

  /** Returns the configured burst: the most permits the bucket holds. */
  int burst();

  /** Returns the bucket's state now: built from {@link #burst()} and {@link #availablePermits()}. */
  default RateLimiterSnapshot snapshot() {
    return new RateLimiterSnapshot(burst(), availablePermits());
  }

  /**
   * Configures and builds a {@link RateLimiter}: one token bucket. Every setter checks its argument
   * at once, and {@link #build()} checks the combination, with an {@link IllegalArgumentException}
   * that names the parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #rate}</td><td>none: required</td></tr>
   *   <tr><td>{@link #burst}</td><td>the permits of one period, at most 1,000,000</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link io.sluice.NanoClock#system()}</td></tr>
   * </table>
   *
   * <p>{@link #build()} may be called more than once, each time for a new bucket. Not thread-safe;
   * build on one thread, then share the limiter.
   */
  final class Builder extends BucketBuilder<Builder> {
    Builder() {}

    /**
     * Builds a single token bucket, full.
     *
     * @throws IllegalArgumentException if no rate was set, or the burst does not fit the rate
     */
    public RateLimiter build() {
      return new TokenBucketRateLimiter(gcra(1));
    }
  }
}
