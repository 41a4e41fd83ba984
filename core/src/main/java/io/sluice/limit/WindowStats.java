package io.sluice.limit;

/**
 * What a limiter observed during one window: the input of a {@link LimitAlgorithm}.
 *
 * <p>A window is bounded by time and by sample count (see {@code Limiter.Builder#window}). Counts
 * are exact; round-trip times are sampled (every request at low traffic, one in {@code 2^k} at high
 * traffic, so that a window holds about a thousand samples) and kept in a log-linear histogram
 * whose buckets are at most 1/16 of an octave wide (percentiles are within about 3%).
 *
 * <p>An instance is valid only during the {@link LimitAlgorithm#update(WindowStats)} call it is
 * passed to: the limiter reuses it for the next window. Copy what must be kept.
 */
public interface WindowStats {

  /** Returns the window's length in nanoseconds; always positive. */
  long durationNanos();

  /** Returns the number of permits released in the window, whatever their outcome. */
  long completions();

  /** Returns the number of permits released as {@code DROPPED} in the window. */
  long drops();

  /** Returns the number of acquisitions the limiter rejected in the window. */
  long rejections();

  /** Returns the number of round-trip-time samples (sampled {@code SUCCESS} releases). */
  long sampleCount();

  /**
   * Returns the round-trip time at quantile {@code q} (in {@code [0, 1]}) of the window's samples,
   * in nanoseconds; 0 when there are no samples.
   */
  long rttNanos(double q);

  /**
   * Returns how many of the window's samples exceeded {@code rttNanos} (to histogram precision: a
   * sample counts when its bucket lies above the value).
   */
  long samplesAbove(long rttNanos);

  /** Returns the mean round-trip time of the window's samples in nanoseconds; 0 when there are none. */
  long meanRttNanos();

  /** Returns the highest number of in-flight units seen in the window. */
  int maxInFlight();

  /** Returns the in-flight units when the window closed. */
  int inFlight();

  /** Returns the limit that was in force during the window. */
  int limit();

  /**
   * Returns whether an overload detector attached to the limiter read ELEVATED or SEVERE when the
   * window closed: the process is starved, so the window counts as congested whatever its
   * latencies say. The built-in adaptive algorithms back off on it as on drops; a custom algorithm
   * should too. False by default and for a limiter without detectors.
   */
  default boolean overloaded() {
    return false;
  }

  /** Returns completions per second over the window. */
  default double throughputPerSecond() {
    return completions() * 1e9 / durationNanos();
  }

  /** Returns the fraction of completions that were drops; 0 when nothing completed. */
  default double dropRatio() {
    long completions = completions();
    return completions == 0 ? 0.0 : (double) drops() / completions;
  }
}
