package io.sluice.rate;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/*
 * A ConcurrentHashMap from key to GCRA cell (see Gcra), with a strict bound on the number of keys.
 *
 * Bound. `keys` counts reserved entries. A new key first reserves one with a CAS that only
 * succeeds below maxKeys (check and increment in one step, so concurrent inserters cannot
 * overshoot), then publishes its cell with putIfAbsent; if another thread published one first, it
 * gives the reservation back and uses that cell. Only a successful remove(key, cell) gives a
 * reservation back otherwise, so the map never holds more than maxKeys entries.
 *
 * Eviction. A cell whose bucket is full is idle: a fresh cell would behave identically. A sweep
 * visits the map, freezes each idle cell with a CAS from the exact word it judged full (so an
 * admission that lands first makes the CAS fail and the cell stays), and removes the frozen cell
 * with remove(key, cell). A thread that meets a frozen cell replaces it with its successor via
 * replace(key, cell, successor), which fails harmlessly if the sweep removed it first; either way
 * the next lookup sees a live cell as full as the frozen one, so no admission is lost or doubled.
 * Rebasing (see Gcra) freezes and replaces cells the same way.
 *
 * Sweeps run on the thread of a new key that finds the table full, only if the earliest moment a
 * tracked key could have become idle has passed and at least MIN_SWEEP_INTERVAL has passed since
 * the last sweep (so a flood of new keys costs one pass over the table per interval, not one per
 * request), and one at a time (a CAS on `sweeping`; losers do not wait). The sweep records that
 * earliest moment, which is also the Retry-After of new keys refused meanwhile.
 */
final class BoundedKeyedRateLimiter<K> implements KeyedRateLimiter<K> {
  static final long MIN_SWEEP_INTERVAL_NANOS = 100_000_000L;

  private static final VarHandle KEYS;
  private static final VarHandle SWEEPING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      KEYS = lookup.findVarHandle(BoundedKeyedRateLimiter.class, "keys", int.class);
      SWEEPING = lookup.findVarHandle(BoundedKeyedRateLimiter.class, "sweeping", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Gcra gcra;
  private final int maxKeys;
  private final ConcurrentHashMap<K, GcraCell> cells = new ConcurrentHashMap<>();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder rejectedNewKeys = new LongAdder();

  private volatile int keys;
  private volatile int sweeping;
  /** The clock reading from which a sweep may free a key. */
  private volatile long nextSweepNanos;

  BoundedKeyedRateLimiter(Gcra gcra, int maxKeys) {
    this.gcra = gcra;
    this.maxKeys = maxKeys;
    this.nextSweepNanos = gcra.clock.nanoTime();
  }

  @Override
  public long tryAcquire(K key) {
    return tryAcquire(key, 1);
  }

  @Override
  public long tryAcquire(K key, int cost) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    if (cost < 1 || cost > gcra.burst) {
      throw new IllegalArgumentException(
          "cost must be in [1, " + gcra.burst + "] but was " + cost);
    }
    return acquire(key, cost);
  }

  /** As {@link #tryAcquire(Object, int)}, for arguments the caller has checked. */
  long acquire(K key, int cost) {
    for (;;) {
      GcraCell cell = cells.get(key);
      if (cell == null) {
        cell = insert(key);
        if (cell == null) {
          rejectedNewKeys.increment();
          long wait = Math.max(0L, nextSweepNanos - gcra.clock.nanoTime());
          return Ticket.rejection(RejectReason.RATE_LIMITED, wait);
        }
      }
      long ticket = gcra.tryAcquire(cell, cost);
      if (ticket != Gcra.FROZEN) {
        return ticket;
      }
      cells.replace(key, cell, gcra.successor(cell, gcra.clock.nanoTime()));
    }
  }

  /**
   * Adds {@code cost} to what the key has taken (see {@link Gcra#adjust}): a refund to a key not
   * tracked does nothing (its bucket is full), a debt tracks it. Returns the cost of a debt that
   * could not be charged: beyond one burst, or for a new key when the table is full.
   *
   * @param cost in [-burst, Integer.MAX_VALUE]
   */
  long adjust(K key, long cost) {
    for (;;) {
      GcraCell cell = cells.get(key);
      if (cell == null) {
        if (cost <= 0) {
          return 0L;
        }
        cell = insert(key);
        if (cell == null) {
          return cost;
        }
      }
      long forgiven = gcra.adjust(cell, cost);
      if (forgiven != Gcra.FROZEN_CELL) {
        return forgiven;
      }
      cells.replace(key, cell, gcra.successor(cell, gcra.clock.nanoTime()));
    }
  }

  /**
   * Lowers what the key's bucket holds to at most {@code available} (in [0, burst]); a key not
   * tracked is tracked for it, unless the table is full (then nothing happens).
   */
  void capAvailable(K key, long available) {
    for (;;) {
      GcraCell cell = cells.get(key);
      if (cell == null) {
        if (available >= gcra.burst) {
          return;
        }
        cell = insert(key);
        if (cell == null) {
          return;
        }
      }
      if (gcra.capAvailable(cell, available) != Gcra.FROZEN_CELL) {
        return;
      }
      cells.replace(key, cell, gcra.successor(cell, gcra.clock.nanoTime()));
    }
  }

  /** Returns what the key owes beyond an empty bucket; 0 for a key not tracked. */
  long debt(K key) {
    GcraCell cell = cells.get(key);
    return cell == null ? 0L : gcra.debt(cell);
  }

  /** Publishes a full cell for a new key; returns the key's cell, or null if the table is full. */
  private GcraCell insert(K key) {
    if (!reserveKey()) {
      long now = gcra.clock.nanoTime();
      if (now - nextSweepNanos < 0 || sweep(now) < 0 || !reserveKey()) {
        return null;
      }
    }
    GcraCell fresh = gcra.newCell();
    GcraCell raced = cells.putIfAbsent(key, fresh);
    if (raced != null) {
      KEYS.getAndAdd(this, -1);
      return raced;
    }
    return fresh;
  }

  private boolean reserveKey() {
    int current = keys;
    while (current < maxKeys) {
      int witness = (int) KEYS.compareAndExchange(this, current, current + 1);
      if (witness == current) {
        return true;
      }
      current = witness;
    }
    return false;
  }

  /**
   * Evicts idle keys and records when the next sweep may run; returns how many keys it evicted,
   * or -1 if another sweep was running (this call then does nothing).
   */
  private int sweep(long nowNanos) {
    if (!SWEEPING.compareAndSet(this, 0, 1)) {
      return -1;
    }
    try {
      int evicted = 0;
      long soonestFull = Long.MAX_VALUE;
      for (Map.Entry<K, GcraCell> entry : cells.entrySet()) {
        GcraCell cell = entry.getValue();
        if (Gcra.isFrozen(cell)) {
          // Frozen by a rebase whose thread has not replaced it yet: help; a later sweep judges it.
          cells.replace(entry.getKey(), cell, gcra.successor(cell, nowNanos));
          continue;
        }
        long untilFull = gcra.nanosUntilFull(cell, nowNanos);
        if (untilFull > 0) {
          soonestFull = Math.min(soonestFull, untilFull);
        } else if (gcra.freezeIfFull(cell, nowNanos) && cells.remove(entry.getKey(), cell)) {
          KEYS.getAndAdd(this, -1);
          evictions.increment();
          evicted++;
        }
      }
      long untilNext = soonestFull == Long.MAX_VALUE ? 0L : soonestFull;
      nextSweepNanos = nowNanos + Math.max(MIN_SWEEP_INTERVAL_NANOS, untilNext);
      return evicted;
    } finally {
      SWEEPING.setRelease(this, 0);
    }
  }

  @Override
  public long availablePermits(K key) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    GcraCell cell = cells.get(key);
    return cell == null ? gcra.burst : gcra.available(cell, gcra.clock.nanoTime());
  }

  @Override
  public int burst() {
    return gcra.burst;
  }

  @Override
  public int keyCount() {
    return keys;
  }

  @Override
  public int maxKeys() {
    return maxKeys;
  }

  /** Returns how many idle keys have been evicted. */
  long evictions() {
    return evictions.sum();
  }

  /** Returns how many requests of new keys were refused because the table was full. */
  long rejectedNewKeys() {
    return rejectedNewKeys.sum();
  }

  @Override
  public KeyedRateLimiterSnapshot snapshot() {
    return new KeyedCounts(gcra.burst, maxKeys, keys, evictions.sum(), rejectedNewKeys.sum());
  }

  @Override
  public int cleanUp() {
    return Math.max(0, sweep(gcra.clock.nanoTime()));
  }

  @Override
  public String toString() {
    return "KeyedRateLimiter[" + gcra + ", keys=" + keys + "/" + maxKeys + "]";
  }
}
