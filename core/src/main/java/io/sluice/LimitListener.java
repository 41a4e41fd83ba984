package io.sluice;

import io.sluice.limit.WindowStats;

/**
 * Told each time a limiter closes a window and sets its limit: for metrics, logs and the simulator.
 *
 * <p>Called on the thread that closed the window (one at a time, in window order; each call
 * happens-before the next), inside the {@link Limiter#release(long, Outcome)} call that closed it.
 * Keep it short and allocation-free. The {@link WindowStats} is valid only during the call. An
 * exception thrown here propagates to that caller of {@code release}; the permit is released and
 * the new limit is in force regardless.
 */
@FunctionalInterface
public interface LimitListener {

  /** Receives the closed window and the limit now in force. */
  void onWindowClosed(WindowStats window, int newLimit);
}
