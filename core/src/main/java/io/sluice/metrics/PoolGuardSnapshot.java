package io.sluice.metrics;

import io.sluice.RejectReason;
import io.sluice.internal.Args;
import io.sluice.internal.PoolGuardProbe;
import io.sluice.internal.ProbeAccess;
import io.sluice.pool.PoolGuard;
import java.util.Arrays;

/**
 * What a {@link PoolGuard} is doing, read at one moment: checkouts refused by reason, callers
 * waiting inside the pool's borrow, and how long admitted callers waited there. Its limiter (the
 * limit of concurrent checkouts, hold times as RTT) is read separately with
 * {@link LimiterSnapshot#of}.
 *
 * <p>Counts and the wait distribution are cumulative since the guard was built (subtract an
 * earlier snapshot for an interval). {@link #of} may be called from any thread and never blocks
 * the guard's callers. Instances are immutable.
 */
public final class PoolGuardSnapshot {
  private final long[] refused = new long[RejectReason.values().length];
  private final int waiting;
  private final LatencySnapshot borrowWait;

  private PoolGuardSnapshot(PoolGuardProbe probe) {
    for (int r = 0; r < refused.length; r++) {
      refused[r] = probe.refused(r);
    }
    this.waiting = probe.waiting();
    this.borrowWait = LatencySnapshot.of(probe.borrowWait());
  }

  /** Reads a guard. */
  public static PoolGuardSnapshot of(PoolGuard<?> guard) {
    return new PoolGuardSnapshot(ProbeAccess.poolGuard(Args.notNull("guard", guard)));
  }

  /** Returns the checkouts refused for a reason ({@code LIMIT_REACHED}, {@code DEADLINE}, {@code QUEUE_TIMEOUT}). */
  public long refused(RejectReason reason) {
    return refused[Args.notNull("reason", reason).ordinal()];
  }

  /** Returns the checkouts refused, all reasons. */
  public long refused() {
    return Arrays.stream(refused).sum();
  }

  /** Returns the admitted callers waiting inside the pool's borrow when the snapshot was taken. */
  public int waiting() {
    return waiting;
  }

  /** Returns the time admitted callers spent in the pool's borrow, whether it gave a resource or not. */
  public LatencySnapshot borrowWait() {
    return borrowWait;
  }

  @Override
  public String toString() {
    return "PoolGuardSnapshot[refused=" + refused() + ", waiting=" + waiting + ", borrowWait="
        + borrowWait + "]";
  }
}
