package io.sluice.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A QuotaStore in memory whose health a test sets: it answers with the GCRA step of QuotaStore (in
 * long arithmetic, on the caller's clock), never answers, fails its stage, throws, or answers
 * nonsense. A second implementation of the SPI, and the way to test faults without timing.
 */
final class ScriptedStore implements QuotaStore {
  enum Health { ANSWERS, HANGS, DEFERS, FAILS, THROWS, WRONG_REPLY }

  volatile Health health = Health.ANSWERS;
  final AtomicInteger calls = new AtomicInteger();
  /** The stages handed out while DEFERS, for the test to complete. */
  final ConcurrentLinkedQueue<CompletableFuture<Long>> deferred = new ConcurrentLinkedQueue<>();
  /** key -> {anchorNanos, tat in scaled units since the anchor}. */
  private final ConcurrentHashMap<String, long[]> buckets = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Long> take(String key, Quota quota, int min, int max, long nowNanos) {
    if (nowNanos == STORE_CLOCK) {
      throw new IllegalArgumentException("ScriptedStore needs the limiter's clientClock");
    }
    calls.incrementAndGet();
    switch (health) {
      case HANGS:
        return new CompletableFuture<>();
      case DEFERS:
        CompletableFuture<Long> later = new CompletableFuture<>();
        deferred.add(later);
        return later;
      case FAILS:
        return CompletableFuture.failedFuture(new IllegalStateException("store down"));
      case THROWS:
        throw new IllegalStateException("store threw");
      case WRONG_REPLY:
        // More than was asked for, and more than a bucket can hold.
        return CompletableFuture.completedFuture((long) max + quota.burst() + 1);
      default:
        long[] reply = new long[1];
        buckets.compute(key, (k, bucket) -> step(bucket, quota, min, max, nowNanos, reply));
        return CompletableFuture.completedFuture(reply[0]);
    }
  }

  private static long[] step(long[] bucket, Quota quota, int min, int max, long now,
      long[] reply) {
    long p = quota.unitsPerNano();
    long q = quota.interval();
    long tau = quota.tolerance();
    long anchor = now;
    long base = 0;
    long rel = 0;
    if (bucket != null) {
      anchor = bucket[0];
      base = bucket[1];
      rel = now - anchor;
      if (rel * p >= base) {
        anchor = now;
        base = 0;
        rel = 0;
      }
    }
    long scaledNow = rel * p;
    long available = Math.floorDiv(scaledNow + tau - base, q);
    if (max == 0) {
      reply[0] = Math.max(0, available);
      return bucket;
    }
    if (available < min) {
      reply[0] = rel - Math.floorDiv(base + min * q - tau + p - 1, p);
      return bucket;
    }
    long granted = Math.min(available, max);
    long tat = base + granted * q;
    if (rel > 0) {
      tat -= scaledNow;
      anchor = now;
    }
    reply[0] = granted;
    return new long[] {anchor, tat};
  }

  @Override
  public void close() {}
}
