package io.sluice;

/**
 * A source of monotonic time in nanoseconds, as {@link System#nanoTime()} gives it: only differences
 * between readings mean anything.
 *
 * <p>Time is an input of every Sluice component. Production code uses {@link #system()}; tests use
 * a manual clock (sluice-testing's {@code ManualClock}) and the simulator its virtual clock, and
 * move time themselves, so nothing waits on the wall clock. Implementations must be safe to call
 * from any thread and should not allocate.
 */
@FunctionalInterface
public interface NanoClock {

  /** Returns the current reading, in nanoseconds. */
  long nanoTime();

  /** Returns the clock backed by {@link System#nanoTime()}. */
  static NanoClock system() {
    return SystemClock.INSTANCE;
  }
}

/** The production clock; an enum so that there is exactly one and it serializes safely. */
enum SystemClock implements NanoClock {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }
}
