package io.sluice.executor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * How long a task will take, and wait, for the deadline checks at submission.
 *
 * Service estimates are moving averages with weight 1/8 of the dispatch-to-completion time of
 * successful tasks, one per class (regular, long), updated with opaque racy writes: a lost update
 * loses one sample, which an estimate can afford. Only completions refresh an estimate, and a
 * deadline check that refuses every task stops completions: an estimate inflated once (a cold
 * start, a stall) would then refuse every task with a shorter deadline forever. So the deadline
 * checks trust an estimate only while it is fresh, refreshed within the last
 * max(CoDel interval, twice the estimate); a stale estimate admits tasks again, and their
 * completions measure it anew (like the re-measurement of the limit algorithms' baseline).
 *
 * The wait of a task about to queue is Little's law over the queue ahead of it: (tasks queued at
 * its level and above + 1) x service / limit.
 */
final class ServiceTimeEstimates {
  private static final VarHandle ESTIMATES = MethodHandles.arrayElementVarHandle(long[].class);

  private final long freshNanos;
  /** Service-time estimates in nanoseconds: [0] regular tasks, [1] long tasks; 0 = none yet. */
  private final long[] estimates = new long[2];
  /** When each estimate last took a sample, a reading of the clock. */
  private final long[] sampledNanos = new long[2];

  /** An estimate is trusted for at least {@code freshNanos} (the CoDel interval) after a sample. */
  ServiceTimeEstimates(long freshNanos) {
    this.freshNanos = freshNanos;
  }

  /**
   * Returns the service estimate for the deadline checks, or 0 (no check beyond the deadline
   * itself) if it is stale: not refreshed within max(CoDel interval, twice the estimate).
   */
  long trusted(boolean longTask, long now) {
    int i = longTask ? 1 : 0;
    long estimate = (long) ESTIMATES.getOpaque(estimates, i);
    long sampled = (long) ESTIMATES.getOpaque(sampledNanos, i);
    long age = now - sampled;
    return age <= Math.max(freshNanos, saturatedAdd(estimate, estimate)) ? estimate : 0L;
  }

  /** Takes the service time of a task that succeeded, measured at {@code now}. */
  void record(boolean longTask, long sampleNanos, long now) {
    int i = longTask ? 1 : 0;
    long old = (long) ESTIMATES.getOpaque(estimates, i);
    ESTIMATES.setOpaque(estimates, i, old == 0 ? sampleNanos : old + (sampleNanos - old) / 8);
    ESTIMATES.setOpaque(sampledNanos, i, now);
  }

  /** Returns (tasks queued ahead + 1) x service / limit, saturated. */
  static long waitEstimate(int queuedAhead, long serviceNanos, int limit) {
    long tasks = queuedAhead + 1L;
    int units = Math.max(1, limit);
    if (serviceNanos <= Long.MAX_VALUE / tasks) {
      return tasks * serviceNanos / units;
    }
    return (long) ((double) tasks * serviceNanos / units); // a narrowing cast saturates
  }

  /** Adds two non-negative durations, saturating at Long.MAX_VALUE. */
  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
