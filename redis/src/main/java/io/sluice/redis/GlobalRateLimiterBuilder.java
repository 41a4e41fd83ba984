package io.sluice.redis;

import io.sluice.NanoClock;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.breaker.CircuitBreakerBuilder;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.RateLimiter;
import java.time.Duration;

/**
 * Configures and builds a {@link GlobalRateLimiter}. Every setter checks its argument at once, and
 * {@link #build()} checks the combination, with an {@link IllegalArgumentException} that names the
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
public final class GlobalRateLimiterBuilder {
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
  CircuitBreakerBuilder breaker;
  int slice;
  long leaseNanos;
  int maxKeys = 10_000;
  NanoClock clock = NanoClock.system();
  NanoClock clientClock;

  GlobalRateLimiterBuilder() {}

  /** Sets the store that holds the buckets, shared by every node; the caller keeps owning it. */
  public GlobalRateLimiterBuilder store(QuotaStore store) {
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
  public GlobalRateLimiterBuilder name(String name) {
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
  public GlobalRateLimiterBuilder rate(long permits, Duration period) {
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
  public GlobalRateLimiterBuilder burst(int burst) {
    this.burst = Check.inRange("burst", burst, 1, MAX_BURST);
    return this;
  }

  /**
   * When the store is unavailable, decides locally with this node's share of the quota: each key
   * gets a local bucket of {@code permits / expectedReplicas} per period (exact when the period
   * allows, else rounded down) and a burst of {@code max(1, burst / expectedReplicas)}. With every
   * node failing open and {@code expectedReplicas} nodes, the fleet keeps about its quota; with
   * fewer nodes it grants less, with more it grants more.
   *
   * @param expectedReplicas in [1, 100,000]
   */
  public GlobalRateLimiterBuilder failOpen(int expectedReplicas) {
    this.replicas = Check.inRange("expectedReplicas", expectedReplicas, 1, MAX_REPLICAS);
    return this;
  }

  /**
   * When the store is unavailable, refuses every admission it cannot decide locally with
   * {@link io.sluice.RejectReason#CIRCUIT_OPEN}: an HTTP layer answers 503 with the ticket's
   * Retry-After (the breaker's remaining open time, or {@link #unavailableRetryAfter}).
   */
  public GlobalRateLimiterBuilder failClosed() {
    this.replicas = -1;
    return this;
  }

  /**
   * Sets the time budget of an admission: the longest it waits for the store before deciding as
   * if the store were down. Measured on the system's monotonic clock, since it bounds a real wait.
   *
   * @param budget in [1 ns, 60 s]
   */
  public GlobalRateLimiterBuilder budget(Duration budget) {
    this.budgetNanos = Check.nanosInRange("budget", budget, MIN_BUDGET, MAX_BUDGET);
    return this;
  }

  /**
   * Sets the Retry-After of a fail-closed refusal when the breaker gives none (it is still closed
   * and a call failed); while the breaker is open, the refusal carries its remaining open time.
   *
   * @param retryAfter in [1 ms, 1 h]
   */
  public GlobalRateLimiterBuilder unavailableRetryAfter(Duration retryAfter) {
    this.unavailableRetryAfterNanos = Check.nanosInRange("unavailableRetryAfter", retryAfter,
        Duration.ofMillis(1), Duration.ofHours(1));
    return this;
  }

  /**
   * Sets how the breaker in front of the store is configured. The limiter builds its own breaker
   * from this specification, after setting its clock to the limiter's {@link #clock}. Every store
   * call is one breaker call: a failure or a timeout fails it, any answer succeeds.
   */
  public GlobalRateLimiterBuilder circuitBreaker(CircuitBreakerBuilder spec) {
    this.breaker = Check.notNull("circuitBreaker", spec);
    return this;
  }

  /**
   * Turns on batching: a node reserves up to {@code slice} permits of a key per round trip and
   * grants them locally, at most one reservation per key in flight on a node; reserved permits not
   * granted within {@code lease} are dropped. Requests of {@code slice} permits or more go to the
   * store directly. See {@link GlobalRateLimiter} for the over-grant this allows: at most
   * {@code N * (slice - 1)} permits per key across N nodes beyond the unbatched bound, and never
   * more than the permits of {@code lease}.
   *
   * @param slice in [2, burst] (checked at build)
   * @param lease in [1 ms, 1 h]
   */
  public GlobalRateLimiterBuilder batch(int slice, Duration lease) {
    this.slice = Check.inRange("slice", slice, 2, MAX_BURST);
    this.leaseNanos = Check.nanosInRange("lease", lease, Duration.ofMillis(1), Duration.ofHours(1));
    return this;
  }

  /**
   * Sets the most keys the node keeps local state for (reserved slices, remembered refusals), and
   * the most keys of the fail-open share.
   *
   * @param maxKeys in [1, 16777216]
   */
  public GlobalRateLimiterBuilder maxKeys(int maxKeys) {
    this.maxKeys = Check.inRange("maxKeys", maxKeys, 1, MAX_KEYS);
    return this;
  }

  /**
   * Sets the node's clock: of the breaker, of leases and remembered refusals, and of the fail-open
   * share. Tests pass sluice-testing's {@code ManualClock}.
   */
  public GlobalRateLimiterBuilder clock(NanoClock clock) {
    this.clock = Check.notNull("clock", clock);
    return this;
  }

  /**
   * Evaluates GCRA at this clock's readings instead of the store's own clock. Its readings must be
   * comparable on every node that shares the quota (epoch nanoseconds of synchronised hosts, or a
   * test's clock shared by every limiter): a skew of d between two nodes lets the one ahead take up
   * to {@code d * permits / period} more. The store still expires buckets on its own clock.
   */
  public GlobalRateLimiterBuilder clientClock(NanoClock clock) {
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
    CircuitBreakerBuilder spec = breaker != null ? breaker : CircuitBreaker.newBuilder()
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
    return RateLimiter.newBuilder()
        .rate(sharePermits, Duration.ofNanos(sharePeriod))
        .burst(Math.max(1, chosenBurst / replicas))
        .maxKeys(maxKeys)
        .clock(clock)
        .buildKeyed();
  }
}
