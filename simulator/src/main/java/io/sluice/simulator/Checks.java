package io.sluice.simulator;

import java.time.Duration;

/**
 * Argument checks of the simulator's builders, worded like core's: every failure is an
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

  static long nanosInRange(String name, Duration value, Duration min, Duration max) {
    if (value == null) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was null");
    }
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
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
