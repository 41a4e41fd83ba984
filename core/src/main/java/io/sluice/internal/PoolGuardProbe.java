package io.sluice.internal;

/**
 * What a {@code PoolGuard} tells the metrics beyond its API; counts are cumulative since it was
 * built. Not part of the API.
 */
public interface PoolGuardProbe {

  /** Returns the checkouts refused for a reason ({@code RejectReason} ordinal). */
  long refused(int reason);

  /** Returns the admitted callers now waiting inside the pool's borrow. */
  int waiting();

  /** Returns the time admitted callers spent in the pool's borrow, whether it gave a resource or not. */
  CumulativeHistogram borrowWait();
}
