package io.sluice;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Core's own copy of sluice-testing's {@code io.sluice.testing.ManualClock}, for core's tests
 * only: sluice-testing depends on core, so core's tests cannot depend on it (a reactor cycle), and
 * keeping this copy in core's root test package leaves core's tests' imports as they were. Keep it
 * to what core's tests use; users get the one in sluice-testing.
 *
 * <p>Thread-safe: readings and advances are atomic, and an advance happens-before every reading
 * that observes it. Time never goes backwards.
 */
public final class ManualClock implements NanoClock {
  private final AtomicLong nanos;

  /** Creates a clock that reads zero. */
  public ManualClock() {
    this(0L);
  }

  /** Creates a clock that reads {@code startNanos}. */
  public ManualClock(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  /** Moves the clock forward by {@code deltaNanos} (zero or more) and returns the new reading. */
  public long advanceNanos(long deltaNanos) {
    if (deltaNanos < 0) {
      throw new IllegalArgumentException(
          "deltaNanos must be in [0, " + Long.MAX_VALUE + "] but was " + deltaNanos);
    }
    return nanos.addAndGet(deltaNanos);
  }

  /** Moves the clock forward by {@code delta} and returns the new reading. */
  public long advance(Duration delta) {
    return advanceNanos(delta.toNanos());
  }

  /** Sets the reading to {@code newNanos}, which must not be earlier than the current reading. */
  public void setNanos(long newNanos) {
    long current = nanos.get();
    while (newNanos >= current) {
      if (nanos.compareAndSet(current, newNanos)) {
        return;
      }
      current = nanos.get();
    }
    throw new IllegalArgumentException(
        "newNanos must be in [" + current + ", " + Long.MAX_VALUE + "] but was " + newNanos);
  }
}
