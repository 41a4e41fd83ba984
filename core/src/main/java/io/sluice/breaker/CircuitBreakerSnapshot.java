package io.sluice.breaker;

/**
 * What a {@link CircuitBreaker} looked like at one moment: its state, what its sliding window
 * holds, and the Retry-After a refused call would get. Immutable.
 *
 * @param state the state
 * @param windowCalls calls in the window of the current closed state (0 unless closed)
 * @param windowFailures failed calls among them
 * @param windowSlowCalls slow calls among them
 * @param retryAfterNanos the Retry-After of a call refused now, in nanoseconds; 0 if it would pass
 */
public record CircuitBreakerSnapshot(
    CircuitBreaker.State state,
    int windowCalls,
    int windowFailures,
    int windowSlowCalls,
    long retryAfterNanos) {

  /** Returns the failure rate of the window in percent, or 0 if the window is empty. */
  public double failureRate() {
    return windowCalls == 0 ? 0.0 : 100.0 * windowFailures / windowCalls;
  }

  /** Returns the slow-call rate of the window in percent, or 0 if the window is empty. */
  public double slowCallRate() {
    return windowCalls == 0 ? 0.0 : 100.0 * windowSlowCalls / windowCalls;
  }
}
