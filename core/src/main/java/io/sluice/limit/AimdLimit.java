package io.sluice.limit;

import io.sluice.internal.Args;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Additive increase, multiplicative decrease against a latency objective: the simplest adaptive
 * limit. The objective is either explicit ({@link Builder#timeout}: for services that know the
 * latency they must not exceed) or, by default, derived from the measured no-load latency: the
 * window's median must not exceed 1.3 times the no-load median, measured as {@link VegasLimit}
 * measures it. A default therefore exists that cannot collapse: an explicit objective far above the
 * resource's latency (the former default of 1 s) lets the limit grow until every request queues
 * for nearly that long, which is why there is no default timeout any more.
 *
 * <p>Per window (with a derived objective, per decision on windows pooled to 40 samples): if the
 * drop ratio exceeds {@code dropThreshold}, or latency significantly exceeds the objective, the
 * limit is multiplied by {@code backoffRatio}, and the limit it backed off from is remembered as
 * the last congestion point. "Significantly": with a timeout, more of the window's {@code n}
 * samples lie above it than the {@code n * (1 - q)} expected at {@code latencyQuantile}, by two
 * standard deviations; derived, even the lower confidence bound of the median (less two standard
 * errors) exceeds 1.3 times the no-load median. Otherwise the limit grows additively: below the
 * last congestion point by half the gap to it (at least 1), so it returns quickly to where trouble
 * began and then slows down instead of overshooting; at or above it by {@code max(1, sqrt(limit))},
 * so when capacity returns the limit climbs in a handful of windows at any size. Growth needs only
 * that the window's peak demand reached half the limit, so a limit cut during a spike climbs back
 * at low load too, yet it does not drift to the maximum while idle. With a derived objective,
 * neither latency nor drops shrink a limit the window did not reach (nothing refused, peak
 * in-flight below it); an explicit timeout is a contract and backs off whenever it is exceeded. A
 * window without samples or drops leaves the limit unchanged. A window the limiter's overload
 * detectors flagged ({@link WindowStats#overloaded()}) backs off as drops do.
 *
 * <p>Limits of the design, measured on the control matrix ({@code docs/control-matrix.md}): like
 * {@link GradientLimit} it holds latency, not a queue, so where one or two workers serve everything
 * (goodput 0.93 of the best fixed limit at 2x) or 1-5% of requests are 100x longer (0.95) it keeps
 * the resource less busy than it could; with a derived objective it serves the other cells. An
 * explicit {@code latencyQuantile} must lie below the share of requests that are slow for reasons
 * unrelated to load (3% slow requests and a p99 objective make it back off whenever it binds).
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>parameter</th><th>default</th><th>range</th></tr>
 *   <tr><td>minLimit / initialLimit / maxLimit</td><td>1 / 20 / 1000</td><td>1 to 2^20, min &le; initial &le; max</td></tr>
 *   <tr><td>timeout</td><td>none: 1.3x the measured no-load median</td><td>(0, 1 h]</td></tr>
 *   <tr><td>latencyQuantile (with a timeout)</td><td>0.9</td><td>(0, 1]</td></tr>
 *   <tr><td>backoffRatio</td><td>0.9</td><td>[0.5, 1)</td></tr>
 *   <tr><td>dropThreshold</td><td>0 (any drop)</td><td>[0, 1)</td></tr>
 *   <tr><td>probeInterval / probeJitter (derived objective)</td><td>30 s / 0.2</td>
 *       <td>[1 s, 1 day] / [0, 0.5]</td></tr>
 *   <tr><td>seed (derived objective)</td><td>0x5EED</td><td>any</td></tr>
 * </table>
 *
 * <p>Not thread-safe by itself: the owning limiter calls it from one thread at a time.
 */
public final class AimdLimit extends BaselineLimit {
  /** Without a timeout: how far the median may exceed the measured no-load median. */
  static final double DERIVED_TOLERANCE = 1.3;

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
    if (timeoutNanos == 0) {
      return super.update(window);
    }
    int limit = window.limit();
    // An explicit objective is a contract: latency beyond it backs off whether or not the limit
    // was reached, as drops do.
    if (window.overloaded() || dropped(window) || tooManyAboveTimeout(window)) {
      return backOff(limit);
    }
    return window.sampleCount() == 0 ? limit : bounds.clamp(grow(window, limit));
  }

  @Override
  double fromLatency(WindowStats window, int limit, long baselineNanos) {
    double low = window.rttNanos(0.5)
        * Math.exp(-RttBaseline.CONFIDENCE * RttBaseline.relativeNoise(window));
    return low > DERIVED_TOLERANCE * baselineNanos ? backOff(limit) : grow(window, limit);
  }

  @Override
  void backedOff(int limit) {
    congestionPoint = limit;
  }

  private int backOff(int limit) {
    congestionPoint = limit;
    return bounds.clamp(Math.floor(limit * backoffRatio));
  }

  private double grow(WindowStats window, int limit) {
    if (!LimitBounds.mayGrow(window)) {
      return limit;
    }
    double step = limit < congestionPoint
        ? Math.ceil((congestionPoint - limit) / 2.0)
        : Math.floor(Math.sqrt(limit));
    return limit + Math.max(1.0, step);
  }

  /**
   * Whether more of the window's samples lie above the timeout than the {@code n * (1 - q)}
   * expected, by two standard deviations: a raw window quantile from a few hundred samples is noisy
   * enough to fire on chance alone and ratchet the limit down.
   */
  private boolean tooManyAboveTimeout(WindowStats window) {
    long n = window.sampleCount();
    if (n == 0) {
      return false;
    }
    double expected = n * (1.0 - latencyQuantile);
    return window.samplesAbove(timeoutNanos) > expected + 2.0 * Math.sqrt(expected);
  }

  @Override
  public String toString() {
    String objective = timeoutNanos != 0
        ? "timeout=" + timeoutNanos + "ns, q=" + latencyQuantile
        : "objective=" + DERIVED_TOLERANCE + "x baseline " + baselineRttNanos() + "ns";
    return "AimdLimit[min=" + bounds.min + ", max=" + bounds.max + ", " + objective
        + ", backoff=" + backoffRatio + "]";
  }

  /**
   * Builds an {@link AimdLimit}; each setter checks its argument. A builder is a factory of new
   * instances ({@link #get()}), which is what {@code Limiter.Builder.algorithm} takes, so that
   * each limiter owns its algorithm. Not thread-safe.
   */
  public static final class Builder extends BaselineBuilder<Builder>
      implements Supplier<AimdLimit> {
    private long timeoutNanos;
    private double latencyQuantile = 0.9;

    private Builder() {}

    /**
     * Sets the latency objective: a window whose quantile significantly exceeds it backs off; in
     * (0, 1 h]. Without it the objective is derived from the measured no-load latency.
     */
    public Builder timeout(Duration timeout) {
      this.timeoutNanos =
          Args.nanosInRange("timeout", timeout, Duration.ofNanos(1), Duration.ofHours(1));
      return this;
    }

    /** Sets which latency quantile is held against the timeout, in (0, 1]; needs a timeout. */
    public Builder latencyQuantile(double quantile) {
      this.latencyQuantile = Args.inOpenClosed("latencyQuantile", quantile, 0.0, 1.0);
      return this;
    }

    /** Builds the algorithm; fails if the limits are not ordered min &le; initial &le; max. */
    public AimdLimit build() {
      bounds.validate();
      return new AimdLimit(this);
    }

    /** Builds a new algorithm, as {@link #build()} does: a factory of fresh instances. */
    @Override
    public AimdLimit get() {
      return build();
    }
  }
}
