package io.sluice.limit;

import java.util.SplittableRandom;

/*
 * The no-load round-trip time estimate of Vegas and Gradient, built to survive the failure modes of
 * a plain minimum:
 *
 * - It follows window medians, never single samples: one unusually fast request cannot move it.
 *   A window counts only with at least MIN_SAMPLES samples.
 * - Between re-measurements it only falls, and by at most FALL_PER_WINDOW (10%) per window, so a
 *   freak window of fast requests cannot collapse the limit either.
 * - Because a minimum learned under load can only ratchet, it is re-measured periodically: every
 *   `interval` (jittered uniformly by +-`jitter` from a seeded generator, so that a fleet of servers
 *   does not probe in step, and so that runs are reproducible) the algorithm holds the limit at a
 *   fraction of its value for one window to drain the queue it built, then one more window (merged
 *   until it has MIN_SAMPLES samples) whose median replaces the estimate. The limit is then restored.
 *   The first re-measurements come sooner (after 1 s, then doubling up to the interval), so a
 *   baseline learned during an overload at start-up does not last.
 *
 * Single-writer: used only from LimitAlgorithm.update.
 */
final class RttBaseline {
  static final int MIN_SAMPLES = 3;
  static final double FALL_PER_WINDOW = 0.10;
  private static final long FIRST_PROBE_NANOS = 2_000_000_000L;
  private static final int MAX_MEASURE_WINDOWS = 10;
  private static final double PROBE_FRACTION = 0.5;

  enum Phase { TRACKING, DRAINING, MEASURING }

  private final long intervalNanos;
  private final double jitter;
  private final SplittableRandom random;

  private long baselineNanos;
  private Phase phase = Phase.TRACKING;
  private long sinceProbeNanos;
  private long nextProbeNanos;
  private long currentIntervalNanos;
  private int measureWindows;
  private int savedLimit;

  RttBaseline(long intervalNanos, double jitter, long seed) {
    this.intervalNanos = intervalNanos;
    this.jitter = jitter;
    this.random = new SplittableRandom(seed);
    this.currentIntervalNanos = Math.min(FIRST_PROBE_NANOS, intervalNanos);
    this.nextProbeNanos = jittered(currentIntervalNanos);
  }

  /** Returns the estimate in nanoseconds; 0 until a window with enough samples has been seen. */
  long nanos() {
    return baselineNanos;
  }

  Phase phase() {
    return phase;
  }

  /**
   * Feeds a closed window. Returns the limit to hold while a re-measurement runs (the probe value,
   * or on its last window the limit saved before it), or -1 when the algorithm should decide.
   */
  int observe(WindowStats window, int minLimit) {
    Phase before = phase;
    Phase after = advance(window);
    if (after != Phase.TRACKING) {
      if (before == Phase.TRACKING) {
        savedLimit = window.limit();
      }
      return Math.max(minLimit, (int) Math.ceil(savedLimit * PROBE_FRACTION));
    }
    return before == Phase.TRACKING ? -1 : savedLimit;
  }

  private Phase advance(WindowStats window) {
    boolean enough = window.sampleCount() >= MIN_SAMPLES;
    long median = enough ? window.rttNanos(0.5) : 0;
    switch (phase) {
      case DRAINING:
        phase = Phase.MEASURING;
        measureWindows = 0;
        return phase;
      case MEASURING:
        measureWindows++;
        if (enough) {
          baselineNanos = median;
          finishProbe();
        } else if (measureWindows >= MAX_MEASURE_WINDOWS) {
          finishProbe();
        }
        return phase;
      default:
        if (enough) {
          baselineNanos = baselineNanos == 0
              ? median
              : Math.min(baselineNanos, Math.max(median, (long) (baselineNanos * (1 - FALL_PER_WINDOW))));
        }
        sinceProbeNanos += window.durationNanos();
        if (sinceProbeNanos >= nextProbeNanos && baselineNanos != 0) {
          phase = Phase.DRAINING;
        }
        return phase;
    }
  }

  private void finishProbe() {
    phase = Phase.TRACKING;
    sinceProbeNanos = 0;
    currentIntervalNanos = Math.min(intervalNanos, currentIntervalNanos * 2);
    nextProbeNanos = jittered(currentIntervalNanos);
  }

  private long jittered(long nanos) {
    return (long) (nanos * (1.0 + jitter * (2.0 * random.nextDouble() - 1.0)));
  }
}
