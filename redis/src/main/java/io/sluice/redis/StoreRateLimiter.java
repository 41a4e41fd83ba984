package io.sluice.redis;

import io.sluice.NanoClock;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.rate.KeyedRateLimiter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/*
 * A KeyedRateLimiter whose buckets live in a QuotaStore.
 *
 * Admission order: (1) a remembered refusal of the same request that still holds refuses at once
 * (the store would refuse too: tokens only come back with time); (2) with batching, a live slice
 * grants at once; (3) otherwise one store step, through the circuit breaker and within the budget.
 * Without batching the step asks for exactly n permits (core's GCRA step); with batching it is a
 * single-flight reservation of [n, S] permits (see KeyState).
 *
 * Faults. A breaker refusal, a failed stage, a reply outside the step's contract, or no reply
 * within the budget makes the decision degraded: the local share (fail open) or a CIRCUIT_OPEN
 * rejection (fail closed). Only the thread that made a store call completes its breaker permit,
 * exactly once: failure when the budget ran out or the stage failed, success on any reply (a
 * refusal is a healthy store). A late reply to an abandoned call is not counted again; its permits
 * were taken in the store and are lost, never granted twice.
 *
 * The budget is a real wait (CompletableFuture.get with a timeout), so it is measured on
 * System.nanoTime; everything the limiter decides by time (leases, remembered refusals, the
 * breaker, the local share) uses the configured NanoClock.
 */
final class StoreRateLimiter implements GlobalRateLimiter {
  private static final long PERMIT = 0L;
  /** await's results that are not replies (a reply is never below -2^53). */
  private static final long FAILED = Long.MIN_VALUE;
  private static final long INTERRUPTED = Long.MIN_VALUE + 1;

  final NanoClock clock;
  final int slice;
  final long leaseNanos;
  private final QuotaStore store;
  private final Quota quota;
  private final String prefix;
  private final NanoClock clientClock;
  private final long budgetNanos;
  private final long unavailableRetryAfterNanos;
  private final CircuitBreaker breaker;
  private final KeyedRateLimiter<String> share;
  private final int shareBurst;
  private final KeyTable table;

  private final LongAdder storeCalls = new LongAdder();
  private final LongAdder storeFailures = new LongAdder();
  private final LongAdder degradedDecisions = new LongAdder();
  private final LongAdder localDecisions = new LongAdder();

  StoreRateLimiter(GlobalRateLimiter.Builder b, Quota quota, CircuitBreaker breaker,
      KeyedRateLimiter<String> share) {
    this.clock = b.clock;
    this.slice = b.slice;
    this.leaseNanos = b.leaseNanos;
    this.store = b.store;
    this.quota = quota;
    this.prefix = b.name + ":";
    this.clientClock = b.clientClock;
    this.budgetNanos = b.budgetNanos;
    this.unavailableRetryAfterNanos = b.unavailableRetryAfterNanos;
    this.breaker = breaker;
    this.share = share;
    this.shareBurst = share == null ? 0 : share.burst();
    this.table = new KeyTable(b.maxKeys, clock.nanoTime());
  }

  @Override
  public long tryAcquire(String key) {
    return tryAcquire(key, 1);
  }

  @Override
  public long tryAcquire(String key, int cost) {
    checkKey(key);
    if (cost < 1 || cost > quota.burst()) {
      throw new IllegalArgumentException(
          "cost must be in [1, " + quota.burst() + "] but was " + cost);
    }
    long now = clock.nanoTime();
    KeyState state = table.get(key);
    if (state != null) {
      long refused = state.refused(cost, now);
      if (refused != 0L) {
        localDecisions.increment();
        return refused;
      }
      if (cost < slice && state.takeLocal(cost, now)) {
        localDecisions.increment();
        return PERMIT;
      }
    }
    long deadline = System.nanoTime() + budgetNanos;
    return cost < slice
        ? reserve(key, state, cost, deadline)
        : direct(key, state, cost, deadline);
  }

  /** One store step for exactly {@code permits}, waiting until {@code deadline} at most. */
  private long direct(String key, KeyState state, int permits, long deadline) {
    long call = breaker.tryAcquire();
    if (Ticket.isRejection(call)) {
      return degraded(key, permits);
    }
    long reply = await(send(key, permits, permits), deadline);
    if (reply == INTERRUPTED) {
      breaker.onIgnored(call);
      Thread.currentThread().interrupt();
      return degraded(key, permits);
    }
    if (reply == FAILED || reply >= 0 && reply != permits) {
      breaker.onFailure(call);
      storeFailures.increment();
      return degraded(key, permits);
    }
    breaker.onSuccess(call);
    if (reply > 0) {
      if (state != null && state.refusal != null) {
        // The bucket holds less now than when it refused: the remembered wait would be short.
        state.refusal = null;
      }
      return PERMIT;
    }
    long now = clock.nanoTime();
    KeyState remembered = state != null ? state : table.getOrCreate(key, now);
    if (remembered != null) {
      remembered.refusal = new KeyState.Refusal(now - reply, permits);
    }
    return Ticket.rejection(RejectReason.RATE_LIMITED, -reply);
  }

  /** Takes from the key's slice, waits for the reservation in flight, or starts one. */
  private long reserve(String key, KeyState state, int permits, long deadline) {
    for (;;) {
      long now = clock.nanoTime();
      if (state == null || state.isFrozen()) {
        state = table.getOrCreate(key, now);
        if (state == null) {
          return direct(key, null, permits, deadline);
        }
      }
      long refused = state.refused(permits, now);
      if (refused != 0L) {
        localDecisions.increment();
        return refused;
      }
      if (state.takeLocal(permits, now)) {
        localDecisions.increment();
        return PERMIT;
      }
      KeyState.Reservation pending = state.pending;
      if (pending == KeyState.FROZEN) {
        continue;
      }
      if (pending != null) {
        long waited = await(pending.done, deadline);
        if (waited == INTERRUPTED) {
          Thread.currentThread().interrupt();
          return degraded(key, permits);
        }
        if (waited == FAILED || pending.result == KeyState.Reservation.FAILED) {
          return degraded(key, permits);
        }
        continue;
      }
      if (System.nanoTime() - deadline >= 0) {
        // Spent waiting for other reservations: not a store call that timed out, so the breaker
        // is not told.
        return degraded(key, permits);
      }
      // The breaker first, so that an outage allocates no reservation.
      long call = breaker.tryAcquire();
      if (Ticket.isRejection(call)) {
        return degraded(key, permits);
      }
      KeyState.Reservation mine = new KeyState.Reservation(this, state, permits);
      if (state.startReservation(mine)) {
        return initiate(key, mine, permits, call, deadline);
      }
      breaker.onIgnored(call);
    }
  }

  private long initiate(String key, KeyState.Reservation mine, int permits, long call,
      long deadline) {
    send(key, permits, slice).whenComplete(mine);
    long waited = await(mine.done, deadline);
    if (waited < 0 && mine.abandon()) {
      if (waited == INTERRUPTED) {
        breaker.onIgnored(call);
        Thread.currentThread().interrupt();
      } else {
        breaker.onFailure(call);
        storeFailures.increment();
      }
      return degraded(key, permits);
    }
    // The reply was taken for us (before the budget ran out, or in a race with it).
    int result = mine.result;
    if (result == KeyState.Reservation.FAILED) {
      breaker.onFailure(call);
      storeFailures.increment();
      return degraded(key, permits);
    }
    breaker.onSuccess(call);
    if (result == KeyState.Reservation.GRANTED) {
      return PERMIT;
    }
    return Ticket.rejection(RejectReason.RATE_LIMITED,
        Math.max(0L, mine.refusedUntilNanos - clock.nanoTime()));
  }

  /** Sends one step; a store that throws instead of failing its stage fails the stage here. */
  private CompletableFuture<Long> send(String key, int min, int max) {
    storeCalls.increment();
    try {
      CompletionStage<Long> stage = store.take(prefix + key, quota, min, max, storeNow());
      return stage.toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private long storeNow() {
    return clientClock == null ? QuotaStore.STORE_CLOCK : clientClock.nanoTime();
  }

  /** The decision when the store cannot make it: the local share, or a CIRCUIT_OPEN refusal. */
  private long degraded(String key, int permits) {
    degradedDecisions.increment();
    if (share != null && permits <= shareBurst) {
      return share.tryAcquire(key, permits);
    }
    long wait = breaker.retryAfterNanos();
    if (wait <= 0) {
      wait = unavailableRetryAfterNanos;
    }
    // A request larger than the local share's burst could never pass it: a quota refusal.
    return Ticket.rejection(share != null ? RejectReason.RATE_LIMITED : RejectReason.CIRCUIT_OPEN,
        wait);
  }

  /**
   * Waits for a stage until {@code deadline} (System.nanoTime); returns its value (0 for a Void
   * stage), FAILED, or INTERRUPTED.
   */
  private static long await(CompletableFuture<?> stage, long deadline) {
    try {
      Object value = stage.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (value == null) {
        return 0L;
      }
      return value instanceof Long ? (Long) value : FAILED;
    } catch (InterruptedException e) {
      return INTERRUPTED;
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      return FAILED;
    }
  }

  @Override
  public long availablePermits(String key) {
    checkKey(key);
    long now = clock.nanoTime();
    KeyState state = table.get(key);
    long local = state == null ? 0L : state.localPermits(now);
    long call = breaker.tryAcquire();
    if (Ticket.isPermit(call)) {
      long reply = await(send(key, 0, 0), System.nanoTime() + budgetNanos);
      if (reply >= 0 && reply <= quota.burst()) {
        breaker.onSuccess(call);
        return reply + local;
      }
      if (reply == INTERRUPTED) {
        breaker.onIgnored(call);
        Thread.currentThread().interrupt();
      } else {
        breaker.onFailure(call);
        storeFailures.increment();
      }
    }
    return local + (share == null ? 0L : share.availablePermits(key));
  }

  private static void checkKey(String key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
  }

  @Override
  public int burst() {
    return quota.burst();
  }

  @Override
  public int keyCount() {
    return table.size();
  }

  @Override
  public int maxKeys() {
    return table.maxKeys();
  }

  @Override
  public int cleanUp() {
    int evicted = Math.max(0, table.sweep(clock.nanoTime()));
    return share == null ? evicted : evicted + share.cleanUp();
  }

  @Override
  public GlobalRateLimiterSnapshot snapshot() {
    long rejectedNewKeys = share == null ? 0L : share.snapshot().rejectedNewKeys();
    return new GlobalRateLimiterSnapshot(burst(), maxKeys(), keyCount(), table.evictions(),
        rejectedNewKeys, storeCalls.sum(), storeFailures.sum(),
        degradedDecisions.sum(), localDecisions.sum(), breaker.snapshot());
  }

  /** Returns the permits this node holds reserved across all keys (tests of the batching bound). */
  long reservedPermits() {
    return table.localPermits(clock.nanoTime());
  }

  @Override
  public String toString() {
    return "GlobalRateLimiter[" + prefix + " " + quota + ", " + breaker.state() + "]";
  }
}
