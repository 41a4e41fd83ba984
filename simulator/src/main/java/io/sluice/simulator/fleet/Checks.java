package io.sluice.simulator.fleet;

import java.time.Duration;

/**
 * Argument checks of the fleet study's builders, worded like core's: every failure is an
 * {@link IllegalArgumentException} naming the parameter, the value and the range allowed.
 */
final class Checks {
  private Checks() {}

  static int inRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  static long inRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  static double inRange(String name, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  static double inOpenClosed(String name, double value, double min, double max) {
    if (!(value > min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in (" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns {@code value} in nanoseconds; it must lie in [0, 1 day]. */
  static long nanos(String name, Duration value) {
    if (value == null || value.isNegative() || value.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [PT0S, PT24H] but was " + value);
    }
    return value.toNanos();
  }

  static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
