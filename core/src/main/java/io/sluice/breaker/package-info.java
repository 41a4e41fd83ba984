/**
 * A client-side circuit breaker for calls to a struggling downstream.
 *
 * <p>{@link io.sluice.breaker.CircuitBreaker}, built by {@link
 * io.sluice.breaker.CircuitBreaker.Builder}, is closed, open or half-open; it opens on the failure
 * rate or the slow-call rate of a sliding window (the last N calls or the last N seconds) once the
 * window holds a minimum number of calls, admits a bounded number of probes when half-open, and
 * also opens for as long as a downstream's 503 or 429 asks through {@code Retry-After}. Its state
 * is one word changed by compare-and-set and its window a ring of packed counters, so calls take no
 * lock and allocate nothing. A refused call gets a {@link io.sluice.RejectReason#CIRCUIT_OPEN}
 * ticket whose Retry-After is the remaining open time; {@link io.sluice.client.RetryPolicy} waits
 * at least that long before the next attempt.
 */
package io.sluice.breaker;
