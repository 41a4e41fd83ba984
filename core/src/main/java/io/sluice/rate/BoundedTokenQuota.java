package io.sluice.rate;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/*
 * A token quota: a bounded table of GCRA buckets (BoundedKeyedRateLimiter) and a ledger of
 * reservations (Reservations).
 *
 * Admission takes the estimate from the bucket first (so a refusal writes nothing, as in the plain
 * keyed limiter) and then claims a reservation; if the ledger is full, the estimate goes back as a
 * refund. Reconciliation takes the reservation from the ledger (exactly one caller per ticket wins)
 * and only then corrects the bucket by actual - estimate, so a correction is applied at most once.
 * The correction goes to whatever bucket tracks the key at that moment: a bucket evicted meanwhile
 * was full, and a full bucket has nothing to refund into (see Gcra for why refunds and debts keep
 * the quota's bound, whichever bucket they land on).
 */
final class BoundedTokenQuota<K> implements TokenQuota<K> {
  static final long FULL_RETRY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final BoundedKeyedRateLimiter<K> buckets;
  private final Reservations reservations;
  private final int maxPending;
  private final int burst;
  private final LongAdder invalid = new LongAdder();
  private final LongAdder forgiven = new LongAdder();
  private final LongAdder rejectedForPending = new LongAdder();

  BoundedTokenQuota(Gcra gcra, int maxKeys, int maxPending) {
    this.buckets = new BoundedKeyedRateLimiter<>(gcra, maxKeys);
    this.reservations = new Reservations(maxPending);
    this.maxPending = maxPending;
    this.burst = gcra.burst;
  }

  @Override
  public long tryAcquire(K key, int estimatedCost) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    if (estimatedCost < 1 || estimatedCost > burst) {
      throw new IllegalArgumentException(
          "estimatedCost must be in [1, " + burst + "] but was " + estimatedCost);
    }
    long ticket = buckets.acquire(key, estimatedCost);
    if (Ticket.isRejection(ticket)) {
      return ticket;
    }
    long reservation = reservations.claim(key, estimatedCost);
    if (reservation == Reservations.NO_SLOT) {
      buckets.adjust(key, -estimatedCost);
      rejectedForPending.increment();
      return Ticket.rejection(RejectReason.LIMIT_REACHED, FULL_RETRY_AFTER_NANOS);
    }
    return reservation;
  }

  @Override
  public boolean reconcile(long reservation, int actualCost) {
    if (actualCost < 0) {
      throw new IllegalArgumentException(
          "actualCost must be in [0, " + Integer.MAX_VALUE + "] but was " + actualCost);
    }
    long word = reservations.heldWord(reservation);
    Object key = word == 0 ? Reservations.LOST : reservations.take(reservation, word);
    if (key == Reservations.LOST) {
      invalid.increment();
      return false;
    }
    long correction = (long) actualCost - Reservations.cost(word);
    if (correction != 0 && key != null) {
      // A null key: a forged ticket matched a slot being claimed (a 2^-32 chance); nothing to fix.
      long notCharged = buckets.adjust(cast(key), correction);
      if (notCharged > 0) {
        forgiven.add(notCharged);
      }
    }
    return true;
  }

  @SuppressWarnings("unchecked")
  private K cast(Object key) {
    return (K) key;
  }

  @Override
  public void capAvailable(K key, long available) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    if (available < 0) {
      throw new IllegalArgumentException(
          "available must be in [0, " + Long.MAX_VALUE + "] but was " + available);
    }
    if (available < burst) {
      buckets.capAvailable(key, available);
    }
  }

  @Override
  public long availableCost(K key) {
    return buckets.availablePermits(key);
  }

  @Override
  public long debt(K key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    return buckets.debt(key);
  }

  @Override
  public int burst() {
    return burst;
  }

  @Override
  public long pending() {
    return reservations.held();
  }

  @Override
  public int maxPending() {
    return maxPending;
  }

  @Override
  public int keyCount() {
    return buckets.keyCount();
  }

  @Override
  public int maxKeys() {
    return buckets.maxKeys();
  }

  @Override
  public TokenQuotaSnapshot snapshot() {
    return new TokenQuotaSnapshot(burst, buckets.maxKeys(), buckets.keyCount(), buckets.evictions(),
        buckets.rejectedNewKeys(), maxPending, reservations.held(), rejectedForPending.sum(),
        invalid.sum(), forgiven.sum());
  }

  @Override
  public int cleanUp() {
    return buckets.cleanUp();
  }

  @Override
  public String toString() {
    return "TokenQuota[" + buckets + ", pending=" + pending() + "/" + maxPending + "]";
  }
}
