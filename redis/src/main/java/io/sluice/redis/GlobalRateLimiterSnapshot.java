package io.sluice.redis;

import io.sluice.breaker.CircuitBreakerSnapshot;

/**
 * What a {@link GlobalRateLimiter} has done since it was built, and the state of its circuit
 * breaker. Counters are read one after the other, not at one instant. Immutable.
 *
 * @param storeCalls steps sent to the store (admissions, reservations and reads)
 * @param storeFailures store calls that failed or did not answer within the budget
 * @param degradedDecisions admissions decided without the store: by the local share when failing
 *     open, refused when failing closed (store failures, open breaker, budget spent waiting)
 * @param localDecisions admissions decided on the node without a store call: granted from a
 *     reserved slice, or refused by a remembered refusal
 * @param breaker the circuit breaker in front of the store
 */
public record GlobalRateLimiterSnapshot(
    long storeCalls,
    long storeFailures,
    long degradedDecisions,
    long localDecisions,
    CircuitBreakerSnapshot breaker) {}
