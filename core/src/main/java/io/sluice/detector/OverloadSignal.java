package io.sluice.detector;

import io.sluice.internal.Args;

/**
 * One reading of an {@link OverloadDetector}: the level, how strongly, and the figure it was judged
 * on. Immutable.
 *
 * @param level the verdict
 * @param pressure the figure over the detector's SEVERE threshold: 0 when calm, at least 1 when
 *     SEVERE; comparable across detectors, for a reader that scales its reaction
 * @param value the figure judged, in the unit the detector documents (seconds of lag, share of time
 *     paused, share of the CPU used, rounds of queued work)
 * @param atNanos the detector clock's reading when the figure was sampled
 */
public record OverloadSignal(OverloadLevel level, double pressure, double value, long atNanos) {

  /** Checks that the level is not null and that pressure and value are numbers of at least 0. */
  public OverloadSignal {
    Args.notNull("level", level);
    Args.inRange("pressure", pressure, 0.0, Double.MAX_VALUE);
    Args.inRange("value", value, 0.0, Double.MAX_VALUE);
  }

  /** Returns a calm reading taken at {@code atNanos}. */
  public static OverloadSignal none(long atNanos) {
    return new OverloadSignal(OverloadLevel.NONE, 0.0, 0.0, atNanos);
  }
}
