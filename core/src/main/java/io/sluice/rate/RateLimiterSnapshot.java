package io.sluice.rate;

/**
 * What a {@link RateLimiter} holds at one moment, read by {@link RateLimiter#snapshot()}. A rate
 * limiter keeps no counters on its lock-free path: its state is its bucket. Immutable.
 *
 * @param burst the most permits the bucket holds
 * @param availablePermits the permits that could be taken when the snapshot was read, in
 *     {@code [0, burst]}
 */
public record RateLimiterSnapshot(int burst, long availablePermits) {}
