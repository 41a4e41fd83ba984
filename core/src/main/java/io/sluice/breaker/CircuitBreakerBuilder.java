package io.sluice.breaker;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.time.Duration;

/**
 * Configures and builds a {@link CircuitBreaker}. Every setter checks its argument at once, and
 * {@link #build()} checks the combination, with an {@link IllegalArgumentException} that names the
 * parameter, the value and the allowed range.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>{@link #countWindow} / {@link #timeWindow}</td><td>the last 100 calls</td></tr>
 *   <tr><td>{@link #minimumCalls}</td><td>20</td></tr>
 *   <tr><td>{@link #failureRateThreshold}</td><td>50%</td></tr>
 *   <tr><td>{@link #slowCalls}</td><td>a call of 10 s or more is slow; opens at 100% slow calls</td></tr>
 *   <tr><td>{@link #waitInOpen}</td><td>30 s</td></tr>
 *   <tr><td>{@link #probes}</td><td>5</td></tr>
 *   <tr><td>{@link #maxRetryAfter}</td><td>5 min</td></tr>
 *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
 * </table>
 *
 * <p>Not thread-safe; build on one thread, then share the breaker.
 */
public final class CircuitBreakerBuilder {
  static final int BUCKETS = 10;
  static final int MAX_WINDOW_CALLS = 10_000;
  static final int MAX_PROBES = 20;
  private static final Duration MIN_TIME_WINDOW = Duration.ofMillis(10);
  private static final Duration MAX_TIME_WINDOW = Duration.ofHours(1);
  private static final Duration MIN_SLOW = Duration.ofNanos(1024);
  private static final Duration MAX_DURATION = Duration.ofDays(1);

  NanoClock clock = NanoClock.system();
  int windowCalls = 100;
  long windowNanos;
  int minimumCalls = 20;
  double failureRateThreshold = 50.0;
  long slowCallNanos = Duration.ofSeconds(10).toNanos();
  double slowCallRateThreshold = 100.0;
  long waitInOpenNanos = Duration.ofSeconds(30).toNanos();
  int probes = 5;
  long maxRetryAfterNanos = Duration.ofMinutes(5).toNanos();

  CircuitBreakerBuilder() {}

  /**
   * Counts the last {@code calls} calls. The window is kept in 10 buckets of {@code ceil(calls /
   * 10)} calls each (one bucket per call below 10 calls), so {@code calls} is rounded up to whole
   * buckets; the oldest bucket leaves whole, so the window holds the last 90% to 100% of them.
   *
   * @param calls in [1, 10000]
   */
  public CircuitBreakerBuilder countWindow(int calls) {
    this.windowCalls = Args.inRange("countWindow calls", calls, 1, MAX_WINDOW_CALLS);
    this.windowNanos = 0;
    return this;
  }

  /**
   * Counts the calls completed in the last {@code length}, in 10 buckets of a tenth of it each; a
   * bucket leaves the window whole. A bucket holds at most 4095 calls and then halves its counts,
   * which keeps its rates.
   *
   * @param length in [10 ms, 1 h]
   */
  public CircuitBreakerBuilder timeWindow(Duration length) {
    this.windowNanos = Args.nanosInRange("timeWindow length", length, MIN_TIME_WINDOW,
        MAX_TIME_WINDOW);
    this.windowCalls = 0;
    return this;
  }

  /**
   * Sets how many calls the window must hold before its rates can open the breaker.
   *
   * @param calls in [1, 10000], and at most the calls of a count window
   */
  public CircuitBreakerBuilder minimumCalls(int calls) {
    this.minimumCalls = Args.inRange("minimumCalls", calls, 1, MAX_WINDOW_CALLS);
    return this;
  }

  /**
   * Sets the failure rate, in percent of the window's calls, at or above which the breaker opens.
   *
   * @param percent in (0, 100]
   */
  public CircuitBreakerBuilder failureRateThreshold(double percent) {
    this.failureRateThreshold = Args.inOpenClosed("failureRateThreshold", percent, 0.0, 100.0);
    return this;
  }

  /**
   * Sets when a call is slow (it took at least {@code threshold}, measured to about a
   * microsecond) and the slow-call rate, in percent, at or above which the breaker opens. A slow
   * call counts as slow whether it succeeded or failed; a slow probe reopens the breaker.
   *
   * @param threshold in [1024 ns, 1 day]
   * @param ratePercent in (0, 100]
   */
  public CircuitBreakerBuilder slowCalls(Duration threshold, double ratePercent) {
    this.slowCallNanos = Args.nanosInRange("slowCalls threshold", threshold, MIN_SLOW,
        MAX_DURATION);
    this.slowCallRateThreshold = Args.inOpenClosed("slowCalls ratePercent", ratePercent, 0.0,
        100.0);
    return this;
  }

  /**
   * Sets how long the breaker stays open before it lets probes through.
   *
   * @param wait in [1 ms, 1 day]
   */
  public CircuitBreakerBuilder waitInOpen(Duration wait) {
    this.waitInOpenNanos = Args.nanosInRange("waitInOpen", wait, Duration.ofMillis(1),
        MAX_DURATION);
    return this;
  }

  /**
   * Sets how many probe calls the half-open state admits; never more are admitted at once or in
   * total per round.
   *
   * @param probes in [1, 20]
   */
  public CircuitBreakerBuilder probes(int probes) {
    this.probes = Args.inRange("probes", probes, 1, MAX_PROBES);
    return this;
  }

  /**
   * Caps the Retry-After that a downstream refusal can impose ({@link CircuitBreaker#onRefused}):
   * the breaker opens for the downstream's Retry-After, but not longer than this. Zero turns that
   * off (a refusal is then just a failure).
   *
   * @param max in [0, 1 day]
   */
  public CircuitBreakerBuilder maxRetryAfter(Duration max) {
    this.maxRetryAfterNanos = Args.nanosInRange("maxRetryAfter", max, Duration.ZERO, MAX_DURATION);
    return this;
  }

  /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
  public CircuitBreakerBuilder clock(NanoClock clock) {
    this.clock = Args.notNull("clock", clock);
    return this;
  }

  /**
   * Builds the breaker, closed.
   *
   * @throws IllegalArgumentException if {@code minimumCalls} exceeds the calls of a count window
   */
  public CircuitBreaker build() {
    if (windowCalls > 0) {
      Args.inRange("minimumCalls (for a countWindow of " + windowCalls + " calls)", minimumCalls, 1,
          windowCalls);
    }
    return new PackedCircuitBreaker(this);
  }
}
