package io.sluice.internal;

import java.time.Duration;

/**
 * Argument checks shared by the builders. Every failure is an {@link IllegalArgumentException} whose
 * message names the parameter, the value given and the range allowed, so a bad configuration is
 * fixed from the message alone.
 *
 * <p>Not part of the API: this package is not exported.
 */
public final class Args {
  private Args() {}

  /** Returns {@code value} if it lies in {@code [min, max]}. */
  public static int inRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns {@code value} if it lies in {@code [min, max]}. */
  public static long inRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns {@code value} if it is a number in {@code [min, max]}; NaN and infinities fail. */
  public static double inRange(String name, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns {@code value} if it lies in the open-closed interval {@code (min, max]}. */
  public static double inOpenClosed(String name, double value, double min, double max) {
    if (!(value > min && value <= max)) {
      throw new IllegalArgumentException(
          name + " must be in (" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns {@code value} if it lies in the closed-open interval {@code [min, max)}. */
  public static double inClosedOpen(String name, double value, double min, double max) {
    if (!(value >= min && value < max)) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + ") but was " + value);
    }
    return value;
  }

  /** Returns {@code value} if it lies in the open interval {@code (min, max)}. */
  public static double inOpen(String name, double value, double min, double max) {
    if (!(value > min && value < max)) {
      throw new IllegalArgumentException(
          name + " must be in (" + min + ", " + max + ") but was " + value);
    }
    return value;
  }

  /** Returns the duration in nanoseconds if it is non-null and lies in {@code [min, max]}. */
  public static long nanosInRange(String name, Duration value, Duration min, Duration max) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "] but was null");
    }
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value.toNanos();
  }

  /** Returns {@code value} if it is not null. */
  public static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
