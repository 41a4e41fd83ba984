package io.sluice.redis;

import io.sluice.NanoClock;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.rate.KeyedRateLimiter;
import java.time.Duration;

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
 * whole fleet (the store's, unless {@link Builder#clientClock} names one). Over
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
 * With {@link Builder#batch}, a node reserves up to a slice of S permits per round
 * trip and hands them out locally. Tokens are reserved before they are granted, so from a full
 * bucket the bound above still holds; but reserved tokens may be spent later than they were
 * reserved, so over an arbitrary window of length t a key may be granted up to {@code burst +
 * floor(t * permits / period) + N * (S - 1)} across N nodes, and never more than {@code burst +
 * floor((t + L) * permits / period)}, where L is the slice's lease.
 *
 * <h2>Local state</h2>
 * {@link #keyCount()}, {@link #maxKeys()} and {@link #cleanUp()} describe the node's own table of
 * per-key state (reserved slices, remembered refusals), bounded like core's keyed limiter and
 * swept of idle keys; a key that finds it full is served without local state. Its counts are read
 * from {@link #snapshot()}: {@link GlobalRateLimiterSnapshot#evictions()}, and
 * {@link GlobalRateLimiterSnapshot#rejectedNewKeys()} for refusals of the fail-open share's table.
 * The buckets themselves live in the store, which forgets each one once it is full again.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread. An admission blocks its thread for at most the budget
 * (plus scheduling delay) and only when it needs the store. Served from the node (a reserved
 * slice, a remembered refusal, the open breaker's fallback) it takes no lock and does not allocate;
 * a round trip allocates Lettuce's command and its future.
 */
public interface GlobalRateLimiter extends KeyedRateLimiter<String> {

  /** Returns a builder; see {@link Builder} for the settings and defaults. */
  static Builder newBuilder() {
    return new Builder();
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

  /**
   * Configures and builds a {@link GlobalRateLimiter}. Every setter checks its argument at once,
   * and
   * {@link #build()} checks the combination, with an {@link IllegalArgumentException} that names
   * the
   * parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #store}</td><td>none: required</td></tr>
   *   <tr><td>{@link #name}</td><td>none: required</td></tr>
   *   <tr><td>{@link #rate}</td><td>none: required</td></tr>
   *   <tr><td>{@link #burst}</td><td>the permits of one period, at most 1,000,000</td></tr>
   *   <tr><td>{@link #failOpen} / {@link #failClosed}</td><td>none: one is required</td></tr>
   *   <tr><td>{@link #budget}</td><td>5 ms</td></tr>
   *   <tr><td>{@link #unavailableRetryAfter}</td><td>1 s</td></tr>
   *   <tr><td>{@link #circuitBreaker}</td><td>opens at 50% failures of the last 20 calls (10 at
   *       least), stays open 1 s, then 3 probes</td></tr>
   *   <tr><td>{@link #batch}</td><td>off</td></tr>
   *   <tr><td>{@link #maxKeys}</td><td>10,000</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
   *   <tr><td>{@link #clientClock}</td><td>none: the store's clock</td></tr>
   * </table>
   *
   * <p>Not thread-safe; build on one thread, then share what it builds.
   */
  final class Builder {
    static final long MAX_PERMITS = 1_000_000_000L;
    static final int MAX_BURST = 1_000_000_000;
    static final int MAX_KEYS = 1 << 24;
    static final int MAX_REPLICAS = 100_000;
    static final int MAX_NAME_LENGTH = 200;
    private static final Duration MIN_PERIOD = Duration.ofNanos(1);
    private static final Duration MAX_PERIOD = Duration.ofDays(1);
    private static final Duration MIN_BUDGET = Duration.ofNanos(1);
    private static final Duration MAX_BUDGET = Duration.ofSeconds(60);

    QuotaStore store;
    String name;
    long permits;
    long periodNanos;
    int burst;
    /** 0: not chosen; -1: fail closed; else fail open with this many expected replicas. */
    int replicas;
    long budgetNanos = Duration.ofMillis(5).toNanos();
    long unavailableRetryAfterNanos = Duration.ofSeconds(1).toNanos();
    CircuitBreaker.Builder breaker;
    int slice;
    long leaseNanos;
    int maxKeys = 10_000;
    NanoClock clock = NanoClock.system();
    NanoClock clientClock;

    Builder() {}

    /** Sets the store that holds the buckets, shared by every node; the caller keeps owning it. */
    public Builder store(QuotaStore store) {
      this.store = Check.notNull("store", store);
      return this;
    }

    /**
     * Sets the quota's name: its buckets are stored under {@code name + ":" + key}. Limiters with
     * different rates must have different names; the limiters of one quota on every node must share
     * it.
     *
     * @param name 1 to 200 characters
     */
    public Builder name(String name) {
      Check.notNull("name", name);
      Check.inRange("name length", name.length(), 1, MAX_NAME_LENGTH);
      this.name = name;
      return this;
    }

    /**
     * Sets the rate of every key: {@code permits} per {@code period}, exactly.
     *
     * @param permits in [1, 1,000,000,000]
     * @param period in [1 ns, 1 day]
     */
    public Builder rate(long permits, Duration period) {
      this.permits = Check.inRange("permits", permits, 1, MAX_PERMITS);
      this.periodNanos = Check.nanosInRange("period", period, MIN_PERIOD, MAX_PERIOD);
      return this;
    }

    /**
     * Sets the burst of every key: the most permits its bucket holds. It must keep the bucket's
     * scaled tolerance within 2<sup>51</sup> (see {@link Quota}), which {@link #build()} checks.
     *
     * @param burst in [1, 1,000,000,000]
     */
    public Builder burst(int burst) {
      this.burst = Check.inRange("burst", burst, 1, MAX_BURST);
      return this;
    }

    /**
     * When the store is unavailable, decides locally with this node's share of the quota: each key
     * gets a local bucket of {@code permits / expectedReplicas} per period (exact when the period
     * allows, else rounded down) and a burst of {@code max(1, burst / expectedReplicas)}. With
     * every
     * node failing open and {@code expectedReplicas} nodes, the fleet keeps about its quota; with
     * fewer nodes it grants less, with more it grants more.
     *
     * @param expectedReplicas in [1, 100,000]
     */
    public Builder failOpen(int expectedReplicas) {
      this.replicas = Check.inRange("expectedReplicas", expectedReplicas, 1, MAX_REPLICAS);
      return this;
    }

    /**
     * When the store is unavailable, refuses every admission it cannot decide locally with
     * {@link io.sluice.RejectReason#CIRCUIT_OPEN}: an HTTP layer answers 503 with the ticket's
     * Retry-After (the breaker's remaining open time, or {@link #unavailableRetryAfter}).
     */
    public Builder failClosed() {
      this.replicas = -1;
      return this;
    }

    /**
     * Sets the time budget of an admission: the longest it waits for the store before deciding as
     * if the store were down. Measured on the system's monotonic clock, since it bounds a real
     * wait.
     *
     * @param budget in [1 ns, 60 s]
     */
    public Builder budget(Duration budget) {
      this.budgetNanos = Check.nanosInRange("budget", budget, MIN_BUDGET, MAX_BUDGET);
      return this;
    }

    /**
     * Sets the Retry-After of a fail-closed refusal when the breaker gives none (it is still closed
     * and a call failed); while the breaker is open, the refusal carries its remaining open time.
     *
     * @param retryAfter in [1 ms, 1 h]
     */
    public Builder unavailableRetryAfter(Duration retryAfter) {
      this.unavailableRetryAfterNanos = Check.nanosInRange("unavailableRetryAfter", retryAfter,
          Duration.ofMillis(1), Duration.ofHours(1));
      return this;
    }

    /**
     * Sets how the breaker in front of the store is configured. The limiter builds its own breaker
     * from this specification, after setting its clock to the limiter's {@link #clock}. Every store
     * call is one breaker call: a failure or a timeout fails it, any answer succeeds.
     */
    public Builder circuitBreaker(CircuitBreaker.Builder spec) {
      this.breaker = Check.notNull("circuitBreaker", spec);
      return this;
    }

    /**
     * Turns on batching: a node reserves up to {@code slice} permits of a key per round trip and
     * grants them locally, at most one reservation per key in flight on a node; reserved permits
     * not
     * granted within {@code lease} are dropped. Requests of {@code slice} permits or more go to the
     * store directly. See {@link GlobalRateLimiter} for the over-grant this allows: at most
     * {@code N * (slice - 1)} permits per key across N nodes beyond the unbatched bound, and never
     * more than the permits of {@code lease}.
     *
     * @param slice in [2, burst] (checked at build)
     * @param lease in [1 ms, 1 h]
     */
    public Builder batch(int slice, Duration lease) {
      this.slice = Check.inRange("slice", slice, 2, MAX_BURST);
      this.leaseNanos =
          Check.nanosInRange("lease", lease, Duration.ofMillis(1), Duration.ofHours(1));
      return this;
    }

    /**
     * Sets the most keys the node keeps local state for (reserved slices, remembered refusals), and
     * the most keys of the fail-open share.
     *
     * @param maxKeys in [1, 16777216]
     */
    public Builder maxKeys(int maxKeys) {
      this.maxKeys = Check.inRange("maxKeys", maxKeys, 1, MAX_KEYS);
      return this;
    }

    /**
     * Sets the node's clock: of the breaker, of leases and remembered refusals, and of the
     * fail-open share. Tests pass sluice-testing's {@code ManualClock}.
     */
    public Builder clock(NanoClock clock) {
      this.clock = Check.notNull("clock", clock);
      return this;
    }

    /**
     * Evaluates GCRA at this clock's readings instead of the store's own clock. Its readings must
     * be
     * comparable on every node that shares the quota (epoch nanoseconds of synchronised hosts, or a
     * test's clock shared by every limiter): a skew of d between two nodes lets the one ahead take
     * up
     * to {@code d * permits / period} more. The store still expires buckets on its own clock.
     */
    public Builder clientClock(NanoClock clock) {
      this.clientClock = Check.notNull("clientClock", clock);
      return this;
    }

    /**
     * Builds the limiter.
     *
     * @throws IllegalArgumentException if the store, the name, the rate or the failure behaviour is
     *     missing, the burst does not fit the rate, or the slice exceeds the burst
     */
    public GlobalRateLimiter build() {
      if (store == null) {
        throw new IllegalArgumentException("store must be set but was unset");
      }
      if (name == null) {
        throw new IllegalArgumentException("name must be set (1 to " + MAX_NAME_LENGTH
            + " characters) but was unset");
      }
      if (permits == 0) {
        throw new IllegalArgumentException("rate must be set: permits in [1, " + MAX_PERMITS
            + "] per period in [" + MIN_PERIOD + ", " + MAX_PERIOD + "] but was unset");
      }
      if (replicas == 0) {
        throw new IllegalArgumentException("the behaviour when the store is unavailable must be "
            + "chosen: failOpen(expectedReplicas) or failClosed(), but was unset");
      }
      int chosenBurst = burst != 0 ? burst : (int) Math.min(permits, 1_000_000);
      long maxBurst = Math.min(MAX_BURST, Quota.maxBurst(permits, periodNanos));
      if (maxBurst < 1) {
        throw new IllegalArgumentException("permits per period must refill one permit within "
            + Quota.MAX_TOLERANCE + " scaled units: permits must be in [1, " + MAX_PERMITS
            + "] and period in [" + MIN_PERIOD + ", " + MAX_PERIOD + "] but was " + permits
            + " per " + periodNanos + "ns");
      }
      Check.inRange("burst (for " + permits + " permits per " + periodNanos + "ns)", chosenBurst, 1,
          (int) maxBurst);
      if (slice != 0) {
        Check.inRange("slice (for a burst of " + chosenBurst + ")", slice, 2, chosenBurst);
      }
      Quota quota = new Quota(permits, periodNanos, chosenBurst);
      CircuitBreaker.Builder spec = breaker != null ? breaker : CircuitBreaker.newBuilder()
          .countWindow(20)
          .minimumCalls(10)
          .failureRateThreshold(50.0)
          .waitInOpen(Duration.ofSeconds(1))
          .probes(3);
      CircuitBreaker circuitBreaker = spec.clock(clock).build();
      KeyedRateLimiter<String> share = replicas > 0 ? localShare(chosenBurst) : null;
      return new StoreRateLimiter(this, quota, circuitBreaker, share);
    }

    /** The fail-open share: permits / replicas per period, exact when the period allows it. */
    private KeyedRateLimiter<String> localShare(int chosenBurst) {
      long g = Quota.gcd(permits, replicas);
      long sharePermits = permits / g;
      long factor = replicas / g;
      long sharePeriod;
      if (periodNanos <= MAX_PERIOD.toNanos() / factor) {
        sharePeriod = periodNanos * factor;
      } else if (permits >= replicas) {
        sharePermits = permits / replicas;
        sharePeriod = periodNanos;
      } else {
        throw new IllegalArgumentException("expectedReplicas (for " + permits + " permits per "
            + periodNanos + "ns) must be at most " + permits + ", or keep period * expectedReplicas"
            + " within " + MAX_PERIOD + ", but was " + replicas);
      }
      return KeyedRateLimiter.newBuilder()
          .rate(sharePermits, Duration.ofNanos(sharePeriod))
          .burst(Math.max(1, chosenBurst / replicas))
          .maxKeys(maxKeys)
          .clock(clock)
          .build();
    }
  }
}
