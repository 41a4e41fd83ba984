package io.sluice.breaker;

import com.google.errorprone.annotations.CheckReturnValue;

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

  /** Returns a builder; see {@link CircuitBreakerBuilder} for the settings and their defaults. */
  static CircuitBreakerBuilder newBuilder() {
    return new CircuitBreakerBuilder();
  }

  /**
   * Asks to make a call; returns a permit ticket (zero or more: make the call, then complete the
   * permit) or a {@code CIRCUIT_OPEN} rejection ticket carrying the time to wait.
   */
  @CheckReturnValue
  long tryAcquire();

  /**
   * Records that the call succeeded (it is still counted as slow if it took at least the slow-call
   * threshold). Returns whether the outcome counted: false for a rejection ticket, a permit from an
   * earlier state, a second completion of a probe, or a probe permit this round never issued.
   */
  boolean onSuccess(long permit);

  /** Records that the call failed; returns whether the outcome counted (see {@link #onSuccess}). */
  boolean onFailure(long permit);

  /**
   * Records that the downstream refused the call as overloaded or over quota (an HTTP 503 or 429):
   * a failure, and if {@code retryAfterNanos} is positive, an order to stay away that long, so the
   * breaker opens until at least {@code now + min(retryAfterNanos, maxRetryAfter)}, whatever the
   * permit. Pass zero or a negative value (such as {@code RetryAfter.ABSENT}) when the refusal
   * named no time. Returns whether the failure counted (see {@link #onSuccess}).
   */
  boolean onRefused(long permit, long retryAfterNanos);

  /**
   * Completes a permit without counting it (the call was cancelled, or failed for reasons that say
   * nothing about the downstream); a probe's slot is used up but neither passes nor fails. Returns
   * whether the permit was current.
   */
  boolean onIgnored(long permit);

  /** Returns the current state; an open breaker whose time is up still reads OPEN until called. */
  State state();

  /**
   * Returns the Retry-After a refused call would get now: the remaining open time while open, a
   * wait for the probes while half-open with every probe out, and 0 when a call would be admitted.
   */
  long retryAfterNanos();

  /** Returns a snapshot of the state and of the window, for metrics and tests (allocates). */
  CircuitBreakerSnapshot snapshot();
}
