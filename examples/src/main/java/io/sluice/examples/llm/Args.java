package io.sluice.examples.llm;

import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Argument checks of the LLM gateway example, in the style of the library's builders (a failure
 * names the parameter, the value and the range), and its thread factory.
 */
final class Args {
  private Args() {}

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

  /** Returns the duration in nanoseconds if it is non-null and lies in {@code [min, max]}. */
  static long inRange(String name, Duration value, Duration min, Duration max) {
    if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
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

  /** Returns a factory of daemon threads named {@code prefix1}, {@code prefix2}, ... */
  static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread t = new Thread(runnable, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
