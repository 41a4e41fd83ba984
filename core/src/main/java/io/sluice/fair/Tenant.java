package io.sluice.fair;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * One tracked tenant: its weight and the units its admitted work holds. The held count is changed
 * by that tenant's own admissions and releases only (an add after the limiter admitted, a
 * subtract on release), so it is contended by one tenant's threads, never by the others'.
 *
 * Eviction freezes an idle tenant: a CAS of held from exactly 0 to FROZEN, so an admission that
 * lands first (held > 0) makes the freeze fail, and once frozen no admission can add to it (they
 * CAS from non-negative values only and look the tenant up again). A tenant holds nothing worth
 * keeping when idle (its weight comes back from the weigher), so forgetting it changes no
 * decision, and no permit ever refers to a frozen tenant.
 */
final class Tenant {
  /** The held count of an evicted tenant: below any real count. */
  static final long FROZEN = Long.MIN_VALUE;

  private static final VarHandle HELD;

  static {
    try {
      HELD = MethodHandles.lookup().findVarHandle(Tenant.class, "held", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The tenant's key in the gate's table; null for the shared overflow tenant. */
  final Object key;
  /** The tenant's weight, in [1, FairShare.Builder.MAX_WEIGHT]. */
  final int weight;
  /** Units held by admitted work, or FROZEN once evicted. */
  private volatile long held;

  Tenant(Object key, int weight) {
    this.key = key;
    this.weight = weight;
  }

  /** Returns the units held, or a negative value if the tenant was evicted. */
  long held() {
    return held;
  }

  /**
   * Adds {@code cost} units unless the tenant is frozen; returns the count before the addition,
   * or {@link #FROZEN} (nothing added).
   */
  long tryAdd(int cost) {
    long current = held;
    while (current >= 0) {
      long witness = (long) HELD.compareAndExchange(this, current, current + cost);
      if (witness == current) {
        return current;
      }
      current = witness;
    }
    return FROZEN;
  }

  /** Subtracts the units of a released permit; returns the count after. Never frozen meanwhile. */
  long subtract(int cost) {
    return (long) HELD.getAndAdd(this, (long) -cost) - cost;
  }

  /** Freezes the tenant if it holds nothing; returns whether it is now frozen by this call. */
  boolean freezeIfIdle() {
    return HELD.compareAndSet(this, 0L, FROZEN);
  }

  @Override
  public String toString() {
    return "Tenant[" + (key == null ? "overflow" : key) + ", weight=" + weight + ", held=" + held
        + "]";
  }
}
