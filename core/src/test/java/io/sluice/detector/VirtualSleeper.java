package io.sluice.detector;

import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Runs a detector in virtual time: each sleep moves a {@link ManualClock} by the time asked for,
 * plus the lateness scripted for that wake-up (none by default), and returns at once.
 */
final class VirtualSleeper implements Sleeper {
  final ManualClock clock = new ManualClock(1_000_000_000L);
  private final Queue<Long> lateness = new ArrayDeque<>();

  /** Makes the next wake-up late by {@code late}. */
  VirtualSleeper late(Duration late) {
    lateness.add(late.toNanos());
    return this;
  }

  @Override
  public void sleepNanos(long nanos) {
    Long late = lateness.poll();
    clock.advanceNanos(nanos + (late == null ? 0L : late));
  }

  /** Opens a detector's sampler for a test to drive. */
  static Sampler opened(Sampler sampler) {
    sampler.open();
    return sampler;
  }

  /** Runs {@code rounds} sampling rounds and returns the last signal. */
  static OverloadSignal run(Sampler sampler, int rounds) throws InterruptedException {
    for (int i = 0; i < rounds; i++) {
      if (!sampler.runOnce()) {
        throw new AssertionError("the sampler is closed");
      }
    }
    return sampler.signal();
  }
}
