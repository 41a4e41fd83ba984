package io.sluice.rate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A single GCRA cell (see Gcra) behind a volatile reference. The reference changes only when the
 * cell is rebased: the thread that froze the old cell, or any thread that found it frozen, builds
 * the successor and installs it with a compare-and-set on the reference; losers of that CAS adopt
 * the winner's cell. The successor is computed from the frozen word, which no admission can change
 * any more, so every candidate successor describes the same bucket.
 */
final class TokenBucketRateLimiter implements RateLimiter {
  private static final VarHandle CELL;

  static {
    try {
      CELL = MethodHandles.lookup()
          .findVarHandle(TokenBucketRateLimiter.class, "cell", GcraCell.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Gcra gcra;
  private volatile GcraCell cell;

  TokenBucketRateLimiter(Gcra gcra) {
    this.gcra = gcra;
    this.cell = gcra.newCell();
  }

  @Override
  public long tryAcquire() {
    return tryAcquire(1);
  }

  @Override
  public long tryAcquire(int cost) {
    if (cost < 1 || cost > gcra.burst) {
      throw new IllegalArgumentException(
          "cost must be in [1, " + gcra.burst + "] but was " + cost);
    }
    for (;;) {
      GcraCell current = cell;
      long ticket = gcra.tryAcquire(current, cost);
      if (ticket != Gcra.FROZEN) {
        return ticket;
      }
      CELL.compareAndSet(this, current, gcra.successor(current, gcra.clock.nanoTime()));
    }
  }

  @Override
  public long availablePermits() {
    return gcra.available(cell, gcra.clock.nanoTime());
  }

  @Override
  public int burst() {
    return gcra.burst;
  }

  @Override
  public String toString() {
    return "RateLimiter[" + gcra + ", available=" + availablePermits() + "]";
  }
}
