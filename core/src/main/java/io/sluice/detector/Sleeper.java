package io.sluice.detector;

import java.util.concurrent.locks.LockSupport;

/**
 * How a detector's sampling thread waits for its next sample. Production detectors park the
 * thread; tests pass one that moves a {@code ManualClock} instead, so that a detector runs in
 * virtual time.
 */
@FunctionalInterface
interface Sleeper {

  /** Waits at least {@code nanos}, unless interrupted. */
  void sleepNanos(long nanos) throws InterruptedException;

  /** Returns the sleeper that parks the calling thread until the time has passed. */
  static Sleeper system() {
    return SystemSleeper.INSTANCE;
  }
}

/**
 * Parks until a deadline on {@link System#nanoTime()}: park may return early (spuriously, or on an
 * unpark nobody sent), so it parks again for the rest; an interrupt ends the wait at once.
 */
enum SystemSleeper implements Sleeper {
  INSTANCE;

  @Override
  public void sleepNanos(long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(this, left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }
}
