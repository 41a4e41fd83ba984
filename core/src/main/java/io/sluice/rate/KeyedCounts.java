package io.sluice.rate;

/** The plain keyed-limiter snapshot, built from the live methods by default. Immutable. */
record KeyedCounts(int burst, int maxKeys, int keys, long evictions, long rejectedNewKeys)
    implements KeyedRateLimiterSnapshot {}
