package io.sluice.testing;

import io.sluice.NanoClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link NanoClock} that moves only when told to: pass it to any Sluice builder's {@code clock}
 * so that a test decides when windows close, deadlines pass and Retry-After estimates move, and
 * never sleeps.
 *
 * <p>Thread-safe: readings and advances are atomic, and an advance happens-before every reading
 * that observes it, so a test thread may move the clock while other threads read it. Time never
 * goes backwards: a negative advance or {@link #setNanos(long)} to an earlier reading fails with an
 * {@link IllegalArgumentException}.
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
