package io.sluice.redis;

import java.util.concurrent.CompletionStage;

/**
 * Where the buckets of a {@link GlobalRateLimiter} live: the SPI that a shared engine implements.
 * {@link RedisQuotaStore} is the implementation shipped and tested; another engine a fleet already
 * runs (Hazelcast, Infinispan, a JDBC database) can plug in by implementing {@link #take} as one
 * atomic step on its side (an entry processor, a server-side function, a transaction).
 *
 * <h2>The step</h2>
 * A bucket is the theoretical arrival time (TAT) of the GCRA, in the scaled units of
 * {@link Quota} (P = {@link Quota#unitsPerNano()}, T = {@link Quota#interval()}, tau =
 * {@link Quota#tolerance()}).
 * A missing bucket is full. At time {@code now} (in scaled units: nanoseconds times P), let
 * {@code base = max(TAT, now)} and {@code available = floor((now + tau - base) / T)}, which is in
 * {@code [0, burst]}. Then {@code take(key, quota, min, max, nowNanos)}, in one atomic step:
 * <ul>
 *   <li>with {@code 1 <= min <= max}: if {@code available >= min}, takes {@code g = min(available,
 *       max)} permits (TAT becomes {@code base + g * T}) and replies {@code g}; otherwise takes
 *       nothing and replies {@code -ceil((base + min * T - tau - now) / P)}: minus the nanoseconds
 *       until {@code min} permits exist, which is at least 1;
 *   <li>with {@code min == max == 0}: takes nothing and replies {@code available}.
 * </ul>
 * With {@code min == max == n} this is exactly the step of core's {@code io.sluice.rate} limiter,
 * including its Retry-After. A store keeps a bucket only while it is not full: it expires the
 * bucket when TAT is reached (rounded up, never earlier), since a missing bucket is full again, so
 * the store holds only keys that were used within one refill of their burst.
 *
 * <h2>Time</h2>
 * {@code nowNanos} is either a reading of a clock that every node shares (epoch nanoseconds, or a
 * test's clock), or {@link #STORE_CLOCK}: then the store reads its own clock once inside the step,
 * so that every node of the fleet is measured against one clock.
 *
 * <h2>Thread-safety contract</h2>
 * Implementations must be safe to call from any thread, must never block the calling thread
 * (return a stage at once; complete it when the store answers), and must complete the stage
 * exceptionally, never throw, when the store fails. Steps on one key are atomic with respect to
 * each other on every node: no lost update, no retry loop that contending nodes can livelock.
 */
public interface QuotaStore extends AutoCloseable {

  /** A {@code nowNanos} that asks the store to use its own clock. */
  long STORE_CLOCK = Long.MIN_VALUE;

  /**
   * Runs one GCRA step on bucket {@code key} (see the class comment) and returns a stage that
   * completes with the reply, or exceptionally if the store failed.
   *
   * @param key the bucket's key, as the store should name it
   * @param quota the rate, burst and scaled units of the bucket
   * @param min the permits the step must take, or 0 to only read (then {@code max} is 0 too)
   * @param max the most permits the step may take, at least {@code min}
   * @param nowNanos a shared clock's reading, or {@link #STORE_CLOCK}
   */
  CompletionStage<Long> take(String key, Quota quota, int min, int max, long nowNanos);

  /** Releases what the store opened (connections); steps asked for afterwards fail. */
  @Override
  void close();
}
