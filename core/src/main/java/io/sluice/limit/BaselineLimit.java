package io.sluice.limit;

/**
 * An adaptive algorithm that compares latency with the robust no-load baseline of
 * {@link RttBaseline}. Each window: a running re-measurement holds the limit; otherwise drops back
 * off; otherwise, when the window has enough samples and the baseline is known, the subclass turns
 * the window's latency into a new limit; a window too thin to judge latency grows the limit by one
 * if it refused work, so that a small limit at low traffic is not stuck.
 */
abstract class BaselineLimit extends AdaptiveLimit {
  private final RttBaseline baseline;

  BaselineLimit(BaselineBuilder<?> builder) {
    super(builder);
    this.baseline = builder.newBaseline();
  }

  /** Returns the current no-load round-trip time estimate in nanoseconds (0 until known). */
  public final long baselineRttNanos() {
    return baseline.nanos();
  }

  @Override
  public final int update(WindowStats window) {
    int held = baseline.observe(window, bounds.min);
    if (held >= 0) {
      return bounds.clamp(held);
    }
    int limit = window.limit();
    if (dropped(window)) {
      return bounds.clamp(LimitBounds.afterDrops(limit, window.dropRatio(), backoffRatio));
    }
    long base = baseline.nanos();
    if (window.sampleCount() < RttBaseline.MIN_SAMPLES || base == 0) {
      // Too few samples to judge latency (a small limit at low traffic), but demand exceeded the
      // limit and nothing dropped: probe upward by one rather than stay stuck.
      return window.rejections() > 0 && LimitBounds.mayGrow(window) ? bounds.clamp(limit + 1) : limit;
    }
    return bounds.clamp(fromLatency(window, limit, base));
  }

  /** Returns the next limit from a window with enough samples, given the baseline in nanoseconds. */
  abstract double fromLatency(WindowStats window, int limit, long baselineNanos);
}
