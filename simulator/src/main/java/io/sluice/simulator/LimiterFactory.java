package io.sluice.simulator;

import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.NanoClock;

/**
 * Builds the limiter a {@link Simulation} runs, on the simulation's virtual clock and with the
 * simulation's listener (which records the limit after every window). The simulation calls it once
 * per run; build a fresh limiter, with an algorithm of its own, on every call (the limiter's
 * builder calls its algorithm factory once per limiter):
 *
 * <pre>{@code
 * (clock, listener) -> Limiter.newBuilder()
 *     .clock(clock).listener(listener)
 *     .algorithm(VegasLimit.newBuilder())
 *     .build()
 * }</pre>
 *
 * <p>A run refuses, with an {@link IllegalStateException}, a limiter that an earlier run of the
 * same simulation used or that has already admitted or refused work: its state would carry over.
 */
@FunctionalInterface
public interface LimiterFactory {

  /** Returns a new limiter that reads {@code clock} and tells {@code listener} of every window. */
  Limiter create(NanoClock clock, LimitListener listener);
}
