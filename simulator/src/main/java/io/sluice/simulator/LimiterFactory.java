package io.sluice.simulator;

import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.NanoClock;

/**
 * Builds the limiter a {@link Simulation} runs, on the simulation's virtual clock and with the
 * simulation's listener (which records the limit after every window). Build a fresh limiter and a
 * fresh algorithm on every call:
 *
 * <pre>{@code
 * (clock, listener) -> Limiter.newBuilder()
 *     .clock(clock).listener(listener)
 *     .algorithm(VegasLimit.newBuilder().build())
 *     .build()
 * }</pre>
 */
@FunctionalInterface
public interface LimiterFactory {

  /** Returns a new limiter that reads {@code clock} and tells {@code listener} of every window. */
  Limiter create(NanoClock clock, LimitListener listener);
}
