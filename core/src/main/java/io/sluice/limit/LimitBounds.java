package io.sluice.limit;

import io.sluice.internal.Args;

/** The [min, max] range and starting point every algorithm builder shares; validated together. */
final class LimitBounds {
  int min;
  int max;
  int initial;

  LimitBounds(int min, int initial, int max) {
    this.min = min;
    this.initial = initial;
    this.max = max;
  }

  void min(int value) {
    min = Args.inRange("minLimit", value, 1, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
  }

  void max(int value) {
    max = Args.inRange("maxLimit", value, 1, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
  }

  void initial(int value) {
    initial = Args.inRange("initialLimit", value, 1, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
  }

  /** Checks the relations between the three values; call from {@code build()}. */
  void validate() {
    Args.inRange("maxLimit (at least minLimit)", max, min, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
    Args.inRange("initialLimit (within [minLimit, maxLimit])", initial, min, max);
  }

  int clamp(double limit) {
    if (!(limit >= min)) {
      return min;
    }
    return limit >= max ? max : (int) limit;
  }

  /**
   * The growth cap shared by the adaptive algorithms: the limit may grow while the window's peak
   * demand reached at least half of it. At low traffic the limit still rises toward twice the demand
   * it sees, but it does not drift to the maximum while nothing tests it.
   */
  static boolean mayGrow(WindowStats window) {
    return 2L * window.maxInFlight() >= window.limit();
  }

  /**
   * The multiplicative decrease on drops: by {@code backoffRatio}, or by the drop ratio itself when
   * that is larger, never below half. When every request times out the limit halves per window.
   */
  static double afterDrops(double limit, double dropRatio, double backoffRatio) {
    return limit * Math.max(0.5, Math.min(backoffRatio, 1.0 - dropRatio));
  }
}
