package io.sluice.executor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The long-task sub-limit: long tasks (cost at or above longTaskMinCost) together hold at most
 * maxShare of the limit, so that a burst of long work cannot take every unit that short work
 * needs. A counter of the units long tasks hold, reserved by CAS before the limiter is asked and
 * returned when the limiter refuses or the task ends. The cap is read from the limit in force at
 * each reservation; one long task may always run when none does (held == 0), so a share that
 * rounds down to nothing still lets long work through one at a time.
 */
final class LongTaskShare {
  private static final VarHandle UNITS;

  static {
    try {
      UNITS = MethodHandles.lookup().findVarHandle(LongTaskShare.class, "units", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final double maxShare;
  private volatile int units;

  LongTaskShare(double maxShare) {
    this.maxShare = maxShare;
  }

  /** Reserves {@code cost} units if long tasks stay within the share of {@code limit}. */
  boolean tryReserve(int cost, int limit) {
    int cap = (int) (maxShare * limit);
    int held = units;
    for (;;) {
      if (held > 0 && held + cost > cap) {
        return false;
      }
      int witness = (int) UNITS.compareAndExchange(this, held, held + cost);
      if (witness == held) {
        return true;
      }
      held = witness;
    }
  }

  /** Returns units that {@link #tryReserve} reserved. */
  void release(int cost) {
    UNITS.getAndAdd(this, -cost);
  }
}
