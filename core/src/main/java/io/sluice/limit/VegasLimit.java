package io.sluice.limit;

import io.sluice.internal.Args;
import java.util.function.Supplier;

/**
 * Delay-based limit after TCP Vegas: estimates how many requests are queued in front of the
 * resource and keeps that queue small but not empty, so the resource never idles and latency stays
 * near its no-load value. The default algorithm of {@code Limiter.newBuilder()}: on the control
 * matrix ({@code docs/control-matrix.md}) it holds the targets on the widest range of workloads.
 *
 * <p>Per decision, by Little's law the queue is {@code q = X * (rtt - baseline)}, with {@code X}
 * the throughput, {@code rtt} the median round-trip time and {@code baseline} the no-load median
 * (see below). Decisions are taken on windows of at least 40 samples: thinner windows (a slow
 * resource, low traffic) are pooled, up to four, while the limit holds. The target band is {@code
 * [alpha, beta]} requests, narrowed where the resource serves few requests at once (a quarter to a
 * half of the work it serves without queueing, at least 1.5 to 3: a queue of 3 doubles latency for
 * 4 workers), deepened up to twice for heavy-tailed service times (by the square root of the mean
 * service time over the median, relative to a log-normal of sigma 0.5), and narrowed to as little
 * as 0.35 of that under heavy overload ({@code 2 / offered load} beyond twice capacity, since a
 * freed permit is then taken again at once). Its upper edge is raised by the noise of the
 * estimate, {@code slack = 2 * X * noise(rtt)} (the standard error of the median from the
 * interquartile range and sample count, with the 3% precision of the percentiles); {@code mid} is
 * the middle of {@code [alpha, beta + slack]}. If {@code q > beta + slack} the limit falls to
 * {@code min(limit, peak in-flight) - (q - mid)}, at most by half: the excess queue is removed in
 * one step. If {@code q < alpha} or no queue is measurable ({@code q <= slack}), and the peak
 * demand reached half the limit, the limit grows by {@code max(1, sqrt(limit))} when no queue is
 * measurable and otherwise by the requests missing to the middle, {@code max(1, floor(mid - q))}.
 * Raising the lower edge by the noise too, as before, held the limit a noise's worth above the
 * band: a whole request where 4 workers of 50 ms close windows of 40 samples. Drops above {@code
 * dropThreshold} multiply the limit by {@code min(backoffRatio, 1 - dropRatio)}, at least 0.5.
 * Latency and drops never shrink a limit that the window did not reach (nothing refused, peak
 * in-flight below the limit): such a limit holds no queue, and refusing more would not help.
 *
 * <p>The baseline is robust: it follows window medians (never single samples, so one fast request
 * cannot collapse the limit), discounts their noise, falls at most 10% per window, and is
 * re-measured every {@code probeInterval} (jittered by {@code probeJitter} from a seeded
 * generator): if the limit held a queue, it drops for a few windows to three quarters of the work
 * the resource serves without queueing, so the queue drains even where the limit is several times
 * the resource's concurrency; a re-measurement replaces the baseline only when it differs beyond
 * its noise, and is otherwise averaged into it, weighted by precision, so that the baseline sheds
 * the error of any single measurement. Thirty minutes of 2x overload leave the limit within 20% of
 * the best fixed limit.
 *
 * <p>Where it must not be used: no cell of the control matrix rules it out. Its narrowest cell is a
 * latency objective as tight as the resource's own p99 with few slow workers (4 workers of 50 ms,
 * objective 150 ms, p99 141 ms, 2x load): the best limits under that objective (6 and 7) lie just
 * below the 8 the same backend needs without it, and Vegas, holding 7.4 on average, keeps 0.977
 * of the best fixed limit's goodput. With an objective that tight and fewer than 8 workers,
 * a {@code FixedLimit} tuned in the simulator keeps a few percent more.
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
  private static final double BAND_LOW = 0.25;
  private static final double BAND_HIGH = 0.5;
  private static final double MIN_ALPHA = 1.5;
  /** The mean over the median of log-normal service times with sigma 0.5: no extra depth. */
  private static final double LOG_NORMAL_HALF = 1.13;
  private static final double DISPERSION_WEIGHT = 0.1;
  private static final double MIN_BETA = 3.0;
  private final double alpha;
  private final double beta;
  /** Mean service time over the baseline (median), smoothed; 0 until the first decision. */
  private double dispersion;

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
    // The band in requests, scaled down where the resource serves few at once: a queue of 3 to 6
    // is a sliver of latency for 32 workers but doubles it for 4.
    double served = RttBaseline.served(window, baselineNanos);
    // Under heavy overload refused work is back within moments, so a freed permit is taken again
    // at once and a smaller queue keeps the resource busy: the floors of the band shrink as the
    // offered load (admitted plus refused, over admitted) grows past twice capacity.
    double offered = (double) (window.completions() + window.rejections())
        / Math.max(1L, window.completions());
    double floor = Math.max(0.35, Math.min(1.0, 2.0 / offered));
    // Heavy-tailed service times empty and refill the queue in bursts: where the mean service
    // time is several times the median, the resource needs a deeper queue to stay busy.
    // Smoothed over decisions: a window holds one long request or none.
    double ratio = served / Math.max(1e-9, throughput * baselineNanos);
    dispersion = dispersion == 0 ? ratio : dispersion + DISPERSION_WEIGHT * (ratio - dispersion);
    double depth = Math.max(1.0, Math.min(2.0, Math.sqrt(dispersion / LOG_NORMAL_HALF)));
    // The noise widens the band upwards only: the limit shrinks only on a queue significantly
    // above the band, and grows on an estimate below it, or on no measurable queue where the
    // noise exceeds the band (thousands of workers, sampled windows). Shifting the lower edge up
    // by the noise too held the limit a noise's worth above the band: with 4 workers of 50 ms and
    // 40-sample windows a whole request, a queue as deep as the workers instead of half as deep.
    double low = floor * Math.min(alpha, depth * Math.max(MIN_ALPHA, BAND_LOW * served));
    double high = floor * Math.min(beta, depth * Math.max(MIN_BETA, BAND_HIGH * served)) + slack;
    double mid = (low + high) / 2;
    if (queue > high) {
      double from = Math.min(limit, window.maxInFlight());
      return Math.max(limit * 0.5, from - (queue - mid));
    }
    if ((queue < low || queue <= slack) && LimitBounds.mayGrow(window)) {
      // No measurable queue at all: the resource has room of unknown size, so climb fast. A queue
      // short of the band: add the requests missing to its middle (at least one), as a queue above
      // it is removed in one step, so that a limit that shrank with capacity returns with it.
      return limit + (queue <= slack
          ? Math.max(1.0, Math.floor(Math.sqrt(limit)))
          : Math.max(1.0, Math.floor(mid - queue)));
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

  /**
   * Builds a {@link VegasLimit}; each setter checks its argument. A builder is a factory of new
   * instances ({@link #get()}), which is what {@code Limiter.Builder.algorithm} takes, so that
   * each limiter owns its algorithm. Not thread-safe.
   */
  public static final class Builder extends BaselineBuilder<Builder>
      implements Supplier<VegasLimit> {
    private double alpha = 3;
    private double beta = 6;

    private Builder() {
      // Its band is a few requests wide, so the baseline's error matters: average it away.
      averagesReMeasurements = true;
    }

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

    /** Builds a new algorithm, as {@link #build()} does: a factory of fresh instances. */
    @Override
    public VegasLimit get() {
      return build();
    }
  }
}
