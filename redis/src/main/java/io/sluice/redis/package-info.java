/**
 * Fleet-wide per-key quotas: "tenant T may make 600 requests per minute" holds across every
 * replica, because the buckets live in a store that all replicas share (Redis, through
 * {@link io.sluice.redis.RedisQuotaStore}).
 *
 * <p>{@link io.sluice.redis.GlobalRateLimiter}, built by
 * {@link io.sluice.redis.GlobalRateLimiter.Builder}, is a {@link io.sluice.rate.KeyedRateLimiter}:
 * the same GCRA, the same exact Retry-After and the same tickets as core's local rate limiter.
 * Every admission has a time budget; when the store is slow or down the limiter either falls back
 * to a local per-node share of the quota or refuses with
 * {@link io.sluice.RejectReason#CIRCUIT_OPEN}, and a {@link io.sluice.breaker.CircuitBreaker}
 * stops it from calling a dead store until probes find it back. Optional batching reserves a small
 * slice of a hot key's tokens per round trip.
 *
 * <p>{@link io.sluice.redis.QuotaStore} is the SPI beneath it: one atomic GCRA step per call, so
 * another engine (Hazelcast, Infinispan, a JDBC database) can hold the buckets instead of Redis.
 */
package io.sluice.redis;
