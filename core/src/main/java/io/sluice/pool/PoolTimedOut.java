package io.sluice.pool;

/**
 * Thrown by an adapter's borrow when the pool's own wait for a resource ran out (a JDBC pool's
 * connection timeout): the guard had room, the pool had none. {@link PoolGuard} turns it into a
 * {@code QUEUE_TIMEOUT} refusal whose cause is the pool's exception, and releases the permit as
 * {@code DROPPED}. Package-private: only the adapters of this package throw it; a pool with its own
 * timeout but no JDBC types returns null instead, as {@link PoolAdapter} says.
 *
 * <p>Why QUEUE_TIMEOUT rather than DEADLINE or LIMIT_REACHED: the caller waited in the pool's own
 * queue until that queue's bound ran out, as with the guard's {@code maxWait}; it is a sign that
 * the pool serves fewer checkouts than the guard admits, so the guard's limit must fall, and the
 * executor in front (by {@link io.sluice.executor.FailureClassifier#defaultRule()}) counts it as a
 * drop too. DEADLINE would tell the executor it is not a capacity signal, and LIMIT_REACHED that
 * the caller was turned away at once, at no cost.
 */
final class PoolTimedOut extends RuntimeException {
  private static final long serialVersionUID = 1L;

  PoolTimedOut(Exception poolTimeout) {
    super(poolTimeout.getMessage(), poolTimeout, false, false);
  }
}
