package io.sluice.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/*
 * The node's per-key states (see KeyState), at most maxKeys of them. As in core's keyed limiter, a
 * new key first reserves room with a CAS that succeeds only below the bound, then publishes its
 * state with putIfAbsent; only a successful remove(key, state) gives room back. A new key that
 * finds the table full triggers a sweep of idle states (one at a time, at most every 100 ms); if
 * that frees nothing, the key is served without local state, which is always correct (it only
 * costs round trips), so the table never refuses anyone.
 */
final class KeyTable {
  static final long MIN_SWEEP_INTERVAL_NANOS = 100_000_000L;

  private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();
  private final int maxKeys;
  private final AtomicInteger keys = new AtomicInteger();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private final LongAdder evictions = new LongAdder();
  private volatile long nextSweepNanos;

  KeyTable(int maxKeys, long nowNanos) {
    this.maxKeys = maxKeys;
    this.nextSweepNanos = nowNanos;
  }

  KeyState get(String key) {
    return states.get(key);
  }

  /** Returns the key's live state, creating it; null if the table is full of busy keys. */
  KeyState getOrCreate(String key, long nowNanos) {
    KeyState state = states.get(key);
    if (state != null) {
      if (!state.isFrozen()) {
        return state;
      }
      // Frozen by a sweep that has not removed it yet: help, then start afresh.
      remove(key, state);
    }
    if (!reserve()) {
      if (nowNanos - nextSweepNanos < 0 || sweep(nowNanos) < 0 || !reserve()) {
        return null;
      }
    }
    KeyState fresh = new KeyState();
    KeyState raced = states.putIfAbsent(key, fresh);
    if (raced != null) {
      keys.decrementAndGet();
      return raced.isFrozen() ? null : raced;
    }
    return fresh;
  }

  private boolean reserve() {
    int current = keys.get();
    while (current < maxKeys) {
      int witness = keys.compareAndExchange(current, current + 1);
      if (witness == current) {
        return true;
      }
      current = witness;
    }
    return false;
  }

  private void remove(String key, KeyState state) {
    if (states.remove(key, state)) {
      keys.decrementAndGet();
      evictions.increment();
    }
  }

  /** Evicts idle states; returns how many, or -1 if another sweep is running. */
  int sweep(long nowNanos) {
    if (!sweeping.compareAndSet(false, true)) {
      return -1;
    }
    try {
      long before = evictions.sum();
      for (Map.Entry<String, KeyState> entry : states.entrySet()) {
        KeyState state = entry.getValue();
        if (state.isFrozen() || state.freezeIfIdle(nowNanos)) {
          remove(entry.getKey(), state);
        }
      }
      nextSweepNanos = nowNanos + MIN_SWEEP_INTERVAL_NANOS;
      return (int) (evictions.sum() - before);
    } finally {
      sweeping.set(false);
    }
  }

  int size() {
    return keys.get();
  }

  int maxKeys() {
    return maxKeys;
  }

  long evictions() {
    return evictions.sum();
  }

  /** Returns every key's reserved permits, for tests of the batching bound. */
  long localPermits(long nowNanos) {
    long sum = 0;
    for (KeyState state : states.values()) {
      sum += state.localPermits(nowNanos);
    }
    return sum;
  }
}
