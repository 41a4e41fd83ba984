package io.sluice.examples.http;

import java.time.Duration;

/**
 * Argument checks of the HTTP examples, in the style of the library's builders: a failure is an
 * {@link IllegalArgumentException} naming the parameter, the value given and the range allowed.
 * (The library's own helper lives in a package it does not export, so examples keep their own;
 * the LLM gateway example uses this one too.)
 */
public final class Checks {
  private Checks() {}

  public static int inRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  public static long inRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  public static double inRange(String name, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns the duration in nanoseconds if it is non-null and lies in {@code [min, max]}. */
  public static long inRange(String name, Duration value, Duration min, Duration max) {
    if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value.toNanos();
  }

  public static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
