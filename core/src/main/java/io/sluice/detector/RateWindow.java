package io.sluice.detector;

/**
 * The rate of a cumulative counter over a sliding window of samples: (newest total - oldest total)
 * / (newest time - oldest time), from the last {@code slots + 1} readings, so that it covers
 * {@code slots} periods. Used for GC pause time and CPU time, both counted in nanoseconds, so the
 * rate is a share of time. Owned by the sampling thread; not thread-safe.
 */
final class RateWindow {
  private final LongRing times;
  private final LongRing totals;

  RateWindow(int slots) {
    this.times = new LongRing(slots + 1);
    this.totals = new LongRing(slots + 1);
  }

  /** Adds a reading and returns the rate over the window, 0 before two readings a time apart. */
  double add(long nowNanos, long total) {
    times.push(nowNanos);
    totals.push(total);
    long elapsed = nowNanos - times.oldest();
    return elapsed <= 0 ? 0.0 : Math.max(0L, total - totals.oldest()) / (double) elapsed;
  }
}
