package io.sluice.limit;

import io.sluice.internal.Args;
import java.util.function.Supplier;

/**
 * Gradient limit: scales the limit by the ratio of the long-term (no-load) round-trip time to the
 * short-term one, with a tolerance, in the manner of Envoy's adaptive concurrency filter.
 *
 * <p>Per decision (windows of at least 40 samples, thinner ones pooled, as for {@link VegasLimit}):
 * the window's median counts as raised only when even its lower confidence bound (the median less
 * two standard errors, from the window's interquartile range and sample count) exceeds
 * {@code tolerance * baseline}; then {@code gradient = max(0.5, tolerance * baseline / bound)} and
 * the target is {@code limit * gradient}. When the median is within tolerance and the peak demand
 * reached half the limit, the target is {@code limit + sqrt(limit)}. The limit moves
 * {@code smoothing} of the way to the target. {@code baseline} is the robust no-load median shared
 * with {@link VegasLimit}. A limit the window did not reach (nothing refused, peak in-flight below
 * it) never shrinks: the noise of a heavy-tailed service time, or requests slow for reasons
 * unrelated to load, must not make it refuse work the resource serves.
 *
 * <p>Unlike a pure latency gradient it reads drops: a window whose drop ratio exceeds
 * {@code dropThreshold} multiplies the limit by {@code min(backoffRatio, 1 - dropRatio)} (at least
 * 0.5), so when every request times out at the same latency (a gradient of 1) the limit falls
 * instead of drifting to its maximum.
 *
 * <p>Limits of the design, measured on the control matrix ({@code docs/control-matrix.md}): holding
 * the median within 1.3x of its no-load value keeps the queue to a fraction of a service time, too
 * shallow to keep the resource busy where service times are heavy-tailed (log-normal sigma 1.5 or
 * more, 5% of requests 20-100x longer: goodput 0.85-0.96 of the best fixed limit under overload),
 * where one or two workers serve everything (0.91), or where 1-2% of requests are 100x longer. Do
 * not use it there; {@link VegasLimit} serves those workloads.
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>parameter</th><th>default</th><th>range</th></tr>
 *   <tr><td>minLimit / initialLimit / maxLimit</td><td>1 / 20 / 1000</td><td>1 to 2^20, min &le; initial &le; max</td></tr>
 *   <tr><td>tolerance</td><td>1.3</td><td>[1, 10]</td></tr>
 *   <tr><td>smoothing</td><td>1.0</td><td>(0, 1]</td></tr>
 *   <tr><td>backoffRatio</td><td>0.9</td><td>[0.5, 1)</td></tr>
 *   <tr><td>dropThreshold</td><td>0 (any drop)</td><td>[0, 1)</td></tr>
 *   <tr><td>probeInterval / probeJitter</td><td>30 s / 0.2</td><td>[1 s, 1 day] / [0, 0.5]</td></tr>
 *   <tr><td>seed</td><td>0x5EED</td><td>any</td></tr>
 * </table>
 *
 * <p>Not thread-safe by itself: the owning limiter calls it from one thread at a time.
 */
public final class GradientLimit extends BaselineLimit {
  private final double tolerance;
  private final double smoothing;

  private GradientLimit(Builder b) {
    super(b);
    this.tolerance = b.tolerance;
    this.smoothing = b.smoothing;
  }

  /** Returns a builder with the defaults above. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  double fromLatency(WindowStats window, int limit, long baselineNanos) {
    double median = Math.max(1.0, window.rttNanos(0.5));
    double allowed = tolerance * baselineNanos;
    // The lower confidence bound of the window's median: latency is up only if even that exceeds
    // the tolerance, so that the noise of a heavy tail is not read as queueing.
    double low = median * Math.exp(-RttBaseline.CONFIDENCE * RttBaseline.relativeNoise(window));
    if (low > allowed) {
      double gradient = Math.max(0.5, allowed / low);
      return Math.rint(limit + smoothing * (limit * gradient - limit));
    }
    if (median <= allowed && LimitBounds.mayGrow(window)) {
      return Math.rint(limit + smoothing * Math.max(1.0, Math.sqrt(limit)));
    }
    return limit;
  }

  @Override
  public String toString() {
    return "GradientLimit[min=" + bounds.min + ", max=" + bounds.max + ", tolerance=" + tolerance
        + ", baseline=" + baselineRttNanos() + "ns]";
  }

  /**
   * Builds a {@link GradientLimit}; each setter checks its argument. A builder is a factory of new
   * instances ({@link #get()}), which is what {@code Limiter.Builder.algorithm} takes, so that
   * each limiter owns its algorithm. Not thread-safe.
   */
  public static final class Builder extends BaselineBuilder<Builder>
      implements Supplier<GradientLimit> {
    private double tolerance = 1.3;
    private double smoothing = 1.0;

    private Builder() {}

    /** Sets how far the short-term latency may exceed the baseline before the limit falls, in [1, 10]. */
    public Builder tolerance(double tolerance) {
      this.tolerance = Args.inRange("tolerance", tolerance, 1.0, 10.0);
      return this;
    }

    /** Sets the fraction of the way to its target the limit moves per window, in (0, 1]. */
    public Builder smoothing(double smoothing) {
      this.smoothing = Args.inOpenClosed("smoothing", smoothing, 0.0, 1.0);
      return this;
    }

    /** Builds the algorithm; fails if the limits are not ordered min &le; initial &le; max. */
    public GradientLimit build() {
      bounds.validate();
      return new GradientLimit(this);
    }

    /** Builds a new algorithm, as {@link #build()} does: a factory of fresh instances. */
    @Override
    public GradientLimit get() {
      return build();
    }
  }
}
