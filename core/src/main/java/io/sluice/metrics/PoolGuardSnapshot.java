package io.sluice.metrics;

import io.sluice.RejectReason;
import io.sluice.internal.Args;
import io.sluice.pool.PoolGuard;
import java.util.Arrays;

/**
 * What a {@link PoolGuard} is doing, read at one moment by {@link PoolGuard#snapshot()}: checkouts
 * refused by reason, callers waiting in line for a permit, callers waiting inside the pool's
 * borrow, and how long admitted callers waited there. Its limiter (the limit of concurrent
 * checkouts, hold times as RTT) is read separately, with {@code guard.limiter().snapshot()}.
 *
 * <p>Counts and the wait distribution are cumulative since the guard was built (subtract an
 * earlier snapshot for an interval). Immutable. The guard's {@code snapshot()} may be called from
 * any thread and never blocks the guard's callers. {@link #newBuilder()} builds one; the builder is
 * not thread-safe.
 */
public final class PoolGuardSnapshot {
  private final long[] refused;
  private final int waiters;
  private final int waiting;
  private final LatencySnapshot borrowWait;

  private PoolGuardSnapshot(Builder b) {
    this.refused = b.refused.clone();
    this.waiters = b.waiters;
    this.waiting = b.waiting;
    this.borrowWait = b.borrowWait;
  }

  /** Returns a builder of a snapshot whose every count is 0 (and whose waits are empty). */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns the checkouts refused for a reason ({@code LIMIT_REACHED}, or {@code PRIORITY_SHED}
   * from a shared limiter, when the line is full; {@code DEADLINE}; {@code QUEUE_TIMEOUT}).
   */
  public long refused(RejectReason reason) {
    return refused[Args.notNull("reason", reason).ordinal()];
  }

  /** Returns the checkouts refused, all reasons. */
  public long refused() {
    return Arrays.stream(refused).sum();
  }

  /** Returns the callers waiting in line for a permit when the snapshot was taken. */
  public int waiters() {
    return waiters;
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
    return "PoolGuardSnapshot[refused=" + refused() + ", waiters=" + waiters + ", waiting="
        + waiting + ", borrowWait=" + borrowWait + "]";
  }

  /**
   * Builds a {@link PoolGuardSnapshot}. Every count starts at 0 (the wait empty); every setter
   * checks its argument at once and throws an {@link IllegalArgumentException} naming the
   * parameter, the value and the allowed range. Not thread-safe.
   */
  public static final class Builder {
    private final long[] refused = new long[RejectReason.values().length];
    private int waiters;
    private int waiting;
    private LatencySnapshot borrowWait = LatencySnapshot.empty();

    private Builder() {}

    /** Sets the checkouts refused for a reason, zero or more. */
    public Builder refused(RejectReason reason, long count) {
      refused[Args.notNull("reason", reason).ordinal()] =
          Args.inRange("refused", count, 0L, Long.MAX_VALUE);
      return this;
    }

    /** Sets the callers waiting in line for a permit, zero or more. */
    public Builder waiters(int waiters) {
      this.waiters = Args.inRange("waiters", waiters, 0, Integer.MAX_VALUE);
      return this;
    }

    /** Sets the admitted callers waiting inside the pool's borrow, zero or more. */
    public Builder waiting(int waiting) {
      this.waiting = Args.inRange("waiting", waiting, 0, Integer.MAX_VALUE);
      return this;
    }

    /** Sets the time admitted callers spent in the pool's borrow. */
    public Builder borrowWait(LatencySnapshot borrowWait) {
      this.borrowWait = Args.notNull("borrowWait", borrowWait);
      return this;
    }

    /** Builds the snapshot; the builder may go on to build others. */
    public PoolGuardSnapshot build() {
      return new PoolGuardSnapshot(this);
    }
  }
}
