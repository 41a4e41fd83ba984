package io.sluice.detector;

/**
 * A detector's two thresholds and the verdict they give: SEVERE at or above {@code severe};
 * ELEVATED at or above {@code elevated} when the value is above 0; NONE below. Pressure is the
 * value over {@code severe}. Immutable.
 */
final class Thresholds {
  final double elevated;
  final double severe;

  /** Expects {@code 0 <= elevated <= severe} and {@code severe > 0}, checked by the builders. */
  Thresholds(double elevated, double severe) {
    this.elevated = elevated;
    this.severe = severe;
  }

  /** Returns the reading of {@code value} (at least 0) sampled at {@code atNanos}. */
  OverloadSignal judge(double value, long atNanos) {
    OverloadLevel level;
    if (value >= severe) {
      level = OverloadLevel.SEVERE;
    } else if (value >= elevated && value > 0.0) {
      level = OverloadLevel.ELEVATED;
    } else {
      level = OverloadLevel.NONE;
    }
    return new OverloadSignal(level, value / severe, value, atNanos);
  }

  @Override
  public String toString() {
    return "elevated=" + elevated + ", severe=" + severe;
  }
}
