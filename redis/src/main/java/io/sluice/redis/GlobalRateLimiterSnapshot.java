package io.sluice.redis;

import io.sluice.breaker.CircuitBreakerSnapshot;
import io.sluice.rate.KeyedRateLimiterSnapshot;

/**
 * What a {@link GlobalRateLimiter} has done since it was built, and the state of its circuit
 * breaker. Counters are read one after the other, not at one instant. Immutable. It is also the
 * limiter's {@link KeyedRateLimiterSnapshot}: the keys of its local table and their counts.
 *
 * @param burst the configured burst of every key's bucket
 * @param maxKeys the most keys tracked at once
 * @param keys the keys tracked when the snapshot was read
 * @param evictions idle keys evicted
 * @param rejectedNewKeys requests of new keys refused because a table was full
 * @param storeCalls steps sent to the store (admissions, reservations and reads)
 * @param storeFailures store calls that failed or did not answer within the budget
 * @param degradedDecisions admissions decided without the store: by the local share when failing
 *     open, refused when failing closed (store failures, open breaker, budget spent waiting)
 * @param localDecisions admissions decided on the node without a store call: granted from a
 *     reserved slice, or refused by a remembered refusal
 * @param breaker the circuit breaker in front of the store
 */
public record GlobalRateLimiterSnapshot(
    int burst,
    int maxKeys,
    int keys,
    long evictions,
    long rejectedNewKeys,
    long storeCalls,
    long storeFailures,
    long degradedDecisions,
    long localDecisions,
    CircuitBreakerSnapshot breaker) implements KeyedRateLimiterSnapshot {}
