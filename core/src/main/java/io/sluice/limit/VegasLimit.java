package io.sluice.limit;

import io.sluice.internal.Args;

/**
 * Delay-based limit after TCP Vegas: estimates how many requests are queued in front of the
 * resource and keeps that queue small but not empty, so the resource never idles and latency stays
 * near its no-load value.
 *
 * <p>Per window, by Little's law the queue is {@code q = X * (rtt - baseline)}, with {@code X} the
 * window's throughput, {@code rtt} its median round-trip time and {@code baseline} the no-load
 * median (see below). The band {@code [alpha, beta]} is widened by the noise of that estimate,
 * {@code slack = 2 * X * noise(rtt)} (the standard error of the median from the window's
 * interquartile range and sample count, combined with the 3% precision of its percentiles): at
 * high throughput a queue of a few requests cannot be told from noise, and a band narrower than the
 * noise would make the limit chase it. If {@code q > beta + slack} the limit falls to
 * {@code min(limit, peak in-flight) - (q - (alpha + beta) / 2 - slack)}, at most by half: the
 * excess queue is removed in one step. If {@code q < alpha + slack} and the window's peak demand
 * reached half the limit, the limit grows by {@code max(1, sqrt(limit))}, which climbs from a small
 * limit in a few windows. Drops above
 * {@code dropThreshold} multiply the limit by {@code min(backoffRatio, 1 - dropRatio)}, at least 0.5.
 *
 * <p>The baseline is robust: it follows window medians (never single samples, so one fast request
 * cannot collapse the limit), falls at most 10% per window, and is re-measured every
 * {@code probeInterval} (jittered by {@code probeJitter} from a seeded generator): the limit is held
 * at half for one window to drain the queue, then for one more whose median becomes the baseline.
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>parameter</th><th>default</th><th>range</th></tr>
 *   <tr><td>minLimit / initialLimit / maxLimit</td><td>1 / 20 / 1000</td><td>1 to 2^20, min &le; initial &le; max</td></tr>
 *   <tr><td>alpha / beta (queued requests)</td><td>3 / 6</td><td>0 &le; alpha &lt; beta &le; 1000</td></tr>
 *   <tr><td>backoffRatio</td><td>0.9</td><td>[0.5, 1)</td></tr>
 *   <tr><td>dropThreshold</td><td>0 (any drop)</td><td>[0, 1)</td></tr>
 *   <tr><td>probeInterval / probeJitter</td><td>30 s / 0.2</td><td>[1 s, 1 day] / [0, 0.5]</td></tr>
 *   <tr><td>seed</td><td>0x5EED</td><td>any</td></tr>
 * </table>
 *
 * <p>Not thread-safe by itself: the owning limiter calls it from one thread at a time.
 */
public final class VegasLimit extends BaselineLimit {
  private final double alpha;
  private final double beta;

  private VegasLimit(Builder b) {
    super(b);
    this.alpha = b.alpha;
    this.beta = b.beta;
  }

  /** Returns a builder with the defaults above. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  double fromLatency(WindowStats window, int limit, long baselineNanos) {
    double throughput = window.throughputPerSecond() * 1e-9;
    double median = window.rttNanos(0.5);
    double queue = Math.max(0.0, throughput * (median - baselineNanos));
    double slack = 2 * throughput * medianNoiseNanos(window, median);
    double low = alpha + slack;
    double high = beta + slack;
    if (queue > high) {
      double from = Math.min(limit, window.maxInFlight());
      return Math.max(limit * 0.5, from - (queue - (low + high) / 2));
    }
    if (queue < low && LimitBounds.mayGrow(window)) {
      return limit + Math.max(1.0, Math.floor(Math.sqrt(limit)));
    }
    return limit;
  }

  /**
   * The uncertainty of the window's median in nanoseconds: its standard error (1.25 times a robust
   * standard deviation, the interquartile range over 1.349, over the square root of the sample
   * count) combined with the 3% precision of the window's percentiles.
   */
  private static double medianNoiseNanos(WindowStats window, double median) {
    double spread = (window.rttNanos(0.75) - window.rttNanos(0.25)) / 1.349;
    double standardError = 1.2533 * spread / Math.sqrt(window.sampleCount());
    double resolution = median / 32;
    return Math.sqrt(standardError * standardError + resolution * resolution);
  }

  @Override
  public String toString() {
    return "VegasLimit[min=" + bounds.min + ", max=" + bounds.max + ", alpha=" + alpha + ", beta="
        + beta + ", baseline=" + baselineRttNanos() + "ns]";
  }

  /** Builds a {@link VegasLimit}; each setter checks its argument. */
  public static final class Builder extends BaselineBuilder<Builder> {
    private double alpha = 3;
    private double beta = 6;

    private Builder() {}

    /**
     * Sets the queue the limit aims for, in requests: it grows below {@code alpha} and shrinks
     * above {@code beta}; {@code 0 <= alpha < beta <= 1000}.
     */
    public Builder queue(double alpha, double beta) {
      Args.inRange("alpha", alpha, 0.0, 1000.0);
      Args.inOpenClosed("beta (above alpha)", beta, alpha, 1000.0);
      this.alpha = alpha;
      this.beta = beta;
      return this;
    }

    /** Builds the algorithm; fails if the limits are not ordered min &le; initial &le; max. */
    public VegasLimit build() {
      bounds.validate();
      return new VegasLimit(this);
    }
  }
}
