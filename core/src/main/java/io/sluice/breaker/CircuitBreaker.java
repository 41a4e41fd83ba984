package io.sluice.breaker;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.internal.Args;
import java.time.Duration;

/**
 * A client-side circuit breaker for calls to a struggling downstream: while the downstream fails,
 * calls fail fast here instead of piling onto it, and a few probes find out when it has recovered.
 *
 * <pre>{@code
 * long permit = breaker.tryAcquire();
 * if (Ticket.isRejection(permit)) {
 *   throw Ticket.toException(permit);     // CIRCUIT_OPEN, Retry-After = remaining open time
 * }
 * HttpResponse<String> response = http.send(request, BodyHandlers.ofString());
 * if (response.statusCode() == 503 || response.statusCode() == 429) {
 *   breaker.onRefused(permit, RetryAfter.parseNanos(header, clock));   // opens for at least that long
 * } else if (response.statusCode() >= 500) {
 *   breaker.onFailure(permit);
 * } else {
 *   breaker.onSuccess(permit);
 * }
 * }</pre>
 *
 * <h2>States</h2>
 * <ul>
 *   <li>{@link State#CLOSED}: calls pass. Their outcomes fill a sliding window (the last N calls,
 *       or the last N seconds). When a failed or slow call is recorded and the window then holds
 *       at least {@code minimumCalls} calls whose failure rate or slow-call rate reaches its
 *       threshold, the breaker opens.
 *   <li>{@link State#OPEN}: calls are refused at once with
 *       {@link io.sluice.RejectReason#CIRCUIT_OPEN} and the remaining open time as Retry-After.
 *       When the open time has passed, the next call moves the breaker to half-open.
 *   <li>{@link State#HALF_OPEN}: at most {@code probes} calls are admitted as probes; the rest are
 *       refused. The first probe that fails or is slow reopens the breaker; once every probe has
 *       completed, the breaker closes (with an empty window) if at least one succeeded, and starts
 *       a new round of probes if all were ignored. A probe that never returns cannot hold the
 *       breaker half-open: once calls have been refused for the slow-call threshold with every
 *       probe out, the probes still out are slow, and the next call reopens the breaker.
 * </ul>
 * A downstream refusal that asks to wait ({@link #onRefused} with a Retry-After, from a 503 or a
 * 429) opens the breaker, from any state, until at least then.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread. Acquire and completion are lock-free (state changes
 * are compare-and-sets on one word; a failed CAS means another thread changed the state) and do
 * not allocate; each reads the clock once. A permit may be completed on another thread than the
 * one that acquired it. Every admitted call must be completed exactly once with one of
 * {@link #onSuccess}, {@link #onFailure}, {@link #onRefused} or {@link #onIgnored}: a probe that
 * is never completed holds its slot until it is overdue (see above), a second completion of a
 * probe is ignored, and
 * a second completion of a closed-state permit is counted again (the window keeps no per-call
 * state). A permit is tied to the state it was issued in: completing it after the breaker has
 * changed state counts nothing (its Retry-After, if any, is still honoured).
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface CircuitBreaker {

  /** The states of a breaker. */
  enum State {
    /** Calls pass and are counted. */
    CLOSED,
    /** Calls are refused until the open time has passed. */
    OPEN,
    /** A bounded number of probe calls pass to test the downstream. */
    HALF_OPEN
  }

  /** Returns a builder; see {@link Builder} for the settings and their defaults. */
  static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Asks to make a call; returns a permit ticket (zero or more: make the call, then complete the
   * permit) or a {@code CIRCUIT_OPEN} rejection ticket carrying the time to wait.
   */
  @CheckReturnValue
  long tryAcquire();

  /**
   * Completes a permit with the call's outcome, as a limiter's permit is completed: {@link
   * Outcome#SUCCESS} records a success (still counted as slow if it took at least the slow-call
   * threshold), {@link Outcome#DROPPED} a failure, and {@link Outcome#IGNORED} nothing (the call
   * was cancelled, or failed for reasons that say nothing about the downstream; a probe's slot is
   * used up but neither passes nor fails). Returns whether the outcome counted: false for a
   * rejection ticket, a permit from an earlier state, a second completion of a probe, or a probe
   * permit this round never issued. Lock-free and allocation-free.
   *
   * @throws IllegalArgumentException if {@code outcome} is null
   */
  boolean release(long permit, Outcome outcome);

  /** Shorthand for {@code release(permit, Outcome.SUCCESS)}. */
  default boolean onSuccess(long permit) {
    return release(permit, Outcome.SUCCESS);
  }

  /** Shorthand for {@code release(permit, Outcome.DROPPED)}: the call failed. */
  default boolean onFailure(long permit) {
    return release(permit, Outcome.DROPPED);
  }

  /** Shorthand for {@code release(permit, Outcome.IGNORED)}. */
  default boolean onIgnored(long permit) {
    return release(permit, Outcome.IGNORED);
  }

  /**
   * Completes a permit whose call the downstream refused as overloaded or over quota (an HTTP 503
   * or 429): a failure, as {@code release(permit, Outcome.DROPPED)}, and if {@code retryAfterNanos}
   * is positive, an order to stay away that long, so the breaker opens until at least {@code now +
   * min(retryAfterNanos, maxRetryAfter)}, whatever the permit. No {@link Outcome} carries that
   * order, hence a method of its own. Pass zero or a negative value (such as {@code
   * RetryAfter.ABSENT}) when the refusal named no time. Returns whether the failure counted (see
   * {@link #release}).
   */
  boolean onRefused(long permit, long retryAfterNanos);

  /** Returns the current state; an open breaker whose time is up still reads OPEN until called. */
  State state();

  /**
   * Returns the Retry-After a refused call would get now: the remaining open time while open, a
   * wait for the probes while half-open with every probe out, and 0 when a call would be admitted.
   */
  long retryAfterNanos();

  /** Returns a snapshot of the state and of the window, for metrics and tests (allocates). */
  CircuitBreakerSnapshot snapshot();

  /**
   * Configures and builds a {@link CircuitBreaker}. Every setter checks its argument at once, and
   * {@link #build()} checks the combination, with an {@link IllegalArgumentException} that names
   * the parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #countWindow} / {@link #timeWindow}</td><td>the last 100 calls</td></tr>
   *   <tr><td>{@link #minimumCalls}</td><td>20</td></tr>
   *   <tr><td>{@link #failureRateThreshold}</td><td>50%</td></tr>
   *   <tr><td>{@link #slowCalls}</td><td>a call of 10 s or more is slow; opens at 100% slow
   * calls</td></tr>
   *   <tr><td>{@link #waitInOpen}</td><td>30 s</td></tr>
   *   <tr><td>{@link #probes}</td><td>5</td></tr>
   *   <tr><td>{@link #maxRetryAfter}</td><td>5 min</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
   * </table>
   *
   * <p>Not thread-safe; build on one thread, then share the breaker.
   */
  final class Builder {
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

    Builder() {}

    /**
     * Counts the last {@code calls} calls. The window is kept in 10 buckets of {@code ceil(calls /
     * 10)} calls each (one bucket per call below 10 calls), so {@code calls} is rounded up to whole
     * buckets; the oldest bucket leaves whole, so the window holds the last 90% to 100% of them.
     *
     * @param calls in [1, 10000]
     */
    public Builder countWindow(int calls) {
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
    public Builder timeWindow(Duration length) {
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
    public Builder minimumCalls(int calls) {
      this.minimumCalls = Args.inRange("minimumCalls", calls, 1, MAX_WINDOW_CALLS);
      return this;
    }

    /**
     * Sets the failure rate, in percent of the window's calls, at or above which the breaker opens.
     *
     * @param percent in (0, 100]
     */
    public Builder failureRateThreshold(double percent) {
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
    public Builder slowCalls(Duration threshold, double ratePercent) {
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
    public Builder waitInOpen(Duration wait) {
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
    public Builder probes(int probes) {
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
    public Builder maxRetryAfter(Duration max) {
      this.maxRetryAfterNanos =
          Args.nanosInRange("maxRetryAfter", max, Duration.ZERO, MAX_DURATION);
      return this;
    }

    /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
    public Builder clock(NanoClock clock) {
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
        Args.inRange("minimumCalls (for a countWindow of " + windowCalls + " calls)", minimumCalls,
            1,
            windowCalls);
      }
      return new PackedCircuitBreaker(this);
    }
  }
}
