package io.sluice.redis;

import io.sluice.rate.KeyedRateLimiter;

/**
 * Per-key quotas that hold across a fleet: every replica asks one shared {@link QuotaStore} (Redis)
 * whether a key may take permits, so "600 requests per minute per tenant" means 600 in total, not
 * 600 on each of 20 replicas.
 *
 * <pre>{@code
 * GlobalRateLimiter quotas = GlobalRateLimiter.newBuilder()
 *     .store(RedisQuotaStore.connect(RedisURI.create("redis://quota-redis:6379")))
 *     .name("api")                              // the store's namespace for these buckets
 *     .rate(600, Duration.ofMinutes(1))
 *     .failOpen(20)                             // Redis down: each of ~20 replicas allows 30/min
 *     .build();
 * long ticket = quotas.tryAcquire(tenantId);
 * if (Ticket.isRejection(ticket)) {
 *   // RATE_LIMITED -> 429; CIRCUIT_OPEN (fail-closed, store unavailable) -> 503; both Retry-After
 * }
 * }</pre>
 *
 * <h2>Semantics</h2>
 * The step is core's GCRA ({@link io.sluice.rate.RateLimiter}): the same admissions and the same
 * exact Retry-After, evaluated atomically in the store in one round trip, on one clock for the
 * whole fleet (the store's, unless {@link GlobalRateLimiterBuilder#clientClock} names one). Over
 * any run of time t, a key's admissions across all nodes never exceed {@code burst + floor(t *
 * permits / period)} while the store is reachable and batching is off. A permit ticket holds
 * nothing and needs no release. A refusal is remembered on the node until its Retry-After has
 * passed, so a key over its quota costs no round trip until it may pass again.
 *
 * <h2>Time budget and faults</h2>
 * An admission waits for the store at most the budget (default 5 ms). When the store errs, does
 * not answer in time, or the circuit breaker is open, the decision falls to the chosen behaviour:
 * fail open (a local per-node share of the quota: the quota divided by the expected replicas) or
 * fail closed (refused with {@link io.sluice.RejectReason#CIRCUIT_OPEN} and a Retry-After). The
 * breaker opens on the failure rate of recent store calls and stops calls to a dead store; its
 * probes find the store again and close it, with no action needed. No store failure surfaces as an
 * exception.
 *
 * <h2>Batching</h2>
 * With {@link GlobalRateLimiterBuilder#batch}, a node reserves up to a slice of S permits per round
 * trip and hands them out locally. Tokens are reserved before they are granted, so from a full
 * bucket the bound above still holds; but reserved tokens may be spent later than they were
 * reserved, so over an arbitrary window of length t a key may be granted up to {@code burst +
 * floor(t * permits / period) + N * (S - 1)} across N nodes, and never more than {@code burst +
 * floor((t + L) * permits / period)}, where L is the slice's lease.
 *
 * <h2>Local state</h2>
 * {@link #keyCount()}, {@link #maxKeys()}, {@link #evictions()} and {@link #cleanUp()} describe the
 * node's own table of per-key state (reserved slices, remembered refusals), bounded like core's
 * keyed limiter and swept of idle keys; a key that finds it full is served without local state.
 * {@link #rejectedNewKeys()} counts refusals of the fail-open share's table. The buckets themselves
 * live in the store, which forgets each one once it is full again.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread. An admission blocks its thread for at most the budget
 * (plus scheduling delay) and only when it needs the store. Served from the node (a reserved
 * slice, a remembered refusal, the open breaker's fallback) it takes no lock and does not allocate;
 * a round trip allocates Lettuce's command and its future.
 */
public interface GlobalRateLimiter extends KeyedRateLimiter<String> {

  /** Returns a builder; see {@link GlobalRateLimiterBuilder} for the settings and defaults. */
  static GlobalRateLimiterBuilder newBuilder() {
    return new GlobalRateLimiterBuilder();
  }

  /**
   * Returns the permits the key's bucket holds in the store plus those this node has reserved;
   * asks the store (within the budget). If the store is unavailable: the local share's permits when
   * failing open, 0 when failing closed.
   */
  @Override
  long availablePermits(String key);

  /**
   * Returns the local table's keys and counts, counters of store calls, faults and local
   * decisions, and the breaker's state.
   */
  @Override
  GlobalRateLimiterSnapshot snapshot();
}
