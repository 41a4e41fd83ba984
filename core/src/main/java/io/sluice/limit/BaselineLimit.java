package io.sluice.limit;

/**
 * An adaptive algorithm that compares latency with the robust no-load baseline of
 * {@link RttBaseline}. Each window: a running re-measurement holds the limit; otherwise drops back
 * off, and so does a window the limiter's overload detectors flagged
 * ({@link WindowStats#overloaded()}), whether or not the limit was reached (the process is starved:
 * less work in flight is the remedy, whatever the latencies); otherwise, when the baseline is
 * known, windows are pooled until they hold enough samples (see PooledWindow) and the subclass
 * turns the pool's latency into a new limit; a window too thin to judge latency grows the limit by
 * one if it refused work, so that a small limit at low traffic is not stuck. Apart from overload, a
 * window whose limit was not reached never shrinks the limit.
 */
abstract class BaselineLimit extends AdaptiveLimit {
  private final RttBaseline baseline;
  private final PooledWindow pool = new PooledWindow();

  BaselineLimit(BaselineBuilder<?> builder) {
    super(builder);
    this.baseline = builder.newBaseline();
  }

  /** Returns the current no-load round-trip time estimate in nanoseconds (0 until known). */
  public final long baselineRttNanos() {
    return baseline.nanos();
  }

  @Override
  public int update(WindowStats window) {
    int held = baseline.observe(window, bounds.min);
    if (held >= 0) {
      pool.clear();
      return bounds.clamp(held);
    }
    int limit = window.limit();
    if (window.overloaded() || dropped(window) && RttBaseline.binding(window)) {
      pool.clear();
      backedOff(limit);
      return bounds.clamp(LimitBounds.afterDrops(limit, window.dropRatio(), backoffRatio));
    }
    long base = baseline.nanos();
    if (window.sampleCount() < RttBaseline.MIN_SAMPLES || base == 0) {
      // Too few samples to judge latency (a small limit at low traffic), but demand exceeded the
      // limit and nothing dropped: probe upward by one rather than stay stuck.
      if (window.rejections() > 0 && LimitBounds.mayGrow(window)) {
        pool.clear();
        return bounds.clamp(limit + 1);
      }
      return limit;
    }
    WindowStats judged = pool.add(window);
    if (judged == null) {
      // While a pool fills, a window that refused work at no-load latency shows a limit that is
      // too small, not a queue: grow by one rather than wait (a limit of 1 at 5 requests/s).
      double bound = base * Math.exp(RttBaseline.CONFIDENCE * RttBaseline.relativeNoise(window));
      boolean noLoad = window.rttNanos(0.5) <= bound;
      if (window.rejections() > 0 && LimitBounds.mayGrow(window) && noLoad) {
        pool.clear();
        return bounds.clamp(limit + 1);
      }
      return limit;
    }
    double next = fromLatency(judged, limit, base);
    if (next < limit && !RttBaseline.binding(judged)) {
      // The limit was not reached, so it holds no queue: whatever raised latency, a smaller
      // limit would only refuse work the resource serves now.
      next = limit;
    }
    pool.clear();
    return bounds.clamp(next);
  }

  /** Tells the subclass that drops made the limit back off from {@code limit}. */
  void backedOff(int limit) {}

  /** Returns the next limit from a window with enough samples, given the baseline in nanoseconds. */
  abstract double fromLatency(WindowStats window, int limit, long baselineNanos);
}
