/**
 * Sluice Redis: per-key quotas that hold across a fleet, with their GCRA buckets kept in Redis and
 * evaluated atomically in one round trip, a time budget on every admission, and a behaviour chosen
 * by the user (fail open to a local share, or fail closed) when Redis is slow or down.
 */
module io.sluice.redis {
  // The API hands out core's KeyedRateLimiter and takes its CircuitBreaker.Builder and NanoClock.
  requires transitive io.sluice;
  // RedisQuotaStore.connect takes Lettuce's RedisClient and RedisURI.
  requires transitive lettuce.core;

  exports io.sluice.redis;
}
