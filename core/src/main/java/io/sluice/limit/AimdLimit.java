package io.sluice.limit;

import io.sluice.internal.Args;
import java.time.Duration;

/**
 * Additive increase, multiplicative decrease against an explicit latency objective: the simplest
 * adaptive limit, for services that know the latency they must not exceed.
 *
 * <p>Per window: if the drop ratio exceeds {@code dropThreshold}, or the window's round-trip time
 * at {@code latencyQuantile} significantly exceeds {@code timeout} (more of its {@code n} samples
 * lie above the timeout than the {@code n * (1 - q)} expected, by two standard deviations, so that
 * sampling noise alone rarely fires), the limit is multiplied by
 * {@code backoffRatio}, and the limit it backed off from is remembered as the last congestion
 * point. Otherwise it grows additively: below the last congestion point by half the gap to it (at
 * least 1), so it returns quickly to where trouble began and then slows down instead of
 * overshooting; at or above it by {@code max(1, sqrt(limit))}, so when capacity returns the limit
 * climbs in a handful of windows at any size, where +1 per window would take hundreds at large
 * limits. Growth needs only that the window's peak demand reached half the limit, so a limit cut
 * during a spike climbs back at low load too, yet it does not drift to the maximum while idle. A
 * window without samples or drops leaves the limit unchanged.
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>parameter</th><th>default</th><th>range</th></tr>
 *   <tr><td>minLimit / initialLimit / maxLimit</td><td>1 / 20 / 1000</td><td>1 to 2^20, min &le; initial &le; max</td></tr>
 *   <tr><td>timeout</td><td>1 s</td><td>(0, 1 h]</td></tr>
 *   <tr><td>latencyQuantile</td><td>0.9</td><td>(0, 1]</td></tr>
 *   <tr><td>backoffRatio</td><td>0.9</td><td>[0.5, 1)</td></tr>
 *   <tr><td>dropThreshold</td><td>0 (any drop)</td><td>[0, 1)</td></tr>
 * </table>
 *
 * <p>Not thread-safe by itself: the owning limiter calls it from one thread at a time.
 */
public final class AimdLimit extends AdaptiveLimit {
  private final long timeoutNanos;
  private final double latencyQuantile;
  private int congestionPoint;

  private AimdLimit(Builder b) {
    super(b);
    this.timeoutNanos = b.timeoutNanos;
    this.latencyQuantile = b.latencyQuantile;
  }

  /** Returns a builder with the defaults above. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public int update(WindowStats window) {
    int limit = window.limit();
    if (dropped(window) || tooManySlow(window)) {
      congestionPoint = limit;
      return bounds.clamp(Math.floor(limit * backoffRatio));
    }
    if (window.sampleCount() == 0 || !LimitBounds.mayGrow(window)) {
      return limit;
    }
    double step = limit < congestionPoint
        ? Math.ceil((congestionPoint - limit) / 2.0)
        : Math.floor(Math.sqrt(limit));
    return bounds.clamp(limit + Math.max(1.0, step));
  }

  /**
   * Whether the window's latency quantile significantly exceeds the timeout: more samples above it
   * than the {@code n * (1 - q)} expected, by two standard deviations. A raw window quantile from a
   * few hundred samples is noisy enough to fire on chance alone and ratchet the limit down.
   */
  private boolean tooManySlow(WindowStats window) {
    long n = window.sampleCount();
    if (n == 0) {
      return false;
    }
    double expected = n * (1.0 - latencyQuantile);
    return window.samplesAbove(timeoutNanos) > expected + 2.0 * Math.sqrt(expected);
  }

  @Override
  public String toString() {
    return "AimdLimit[min=" + bounds.min + ", max=" + bounds.max + ", timeout=" + timeoutNanos
        + "ns, q=" + latencyQuantile + ", backoff=" + backoffRatio + "]";
  }

  /** Builds an {@link AimdLimit}; each setter checks its argument. */
  public static final class Builder extends AdaptiveBuilder<Builder> {
    private long timeoutNanos = Duration.ofSeconds(1).toNanos();
    private double latencyQuantile = 0.9;

    private Builder() {}

    /** Sets the latency objective: a window whose quantile exceeds it backs off; in (0, 1 h]. */
    public Builder timeout(Duration timeout) {
      this.timeoutNanos =
          Args.nanosInRange("timeout", timeout, Duration.ofNanos(1), Duration.ofHours(1));
      return this;
    }

    /** Sets which latency quantile is held against the timeout, in (0, 1]. */
    public Builder latencyQuantile(double quantile) {
      this.latencyQuantile = Args.inOpenClosed("latencyQuantile", quantile, 0.0, 1.0);
      return this;
    }

    /** Builds the algorithm; fails if the limits are not ordered min &le; initial &le; max. */
    public AimdLimit build() {
      bounds.validate();
      return new AimdLimit(this);
    }
  }
}
