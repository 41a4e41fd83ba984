package io.sluice.pool;

/**
 * What a {@link PoolGuard} needs from a resource pool (a JDBC {@code DataSource}, an HTTP client's
 * connection pool, any bounded pool): borrow with a timeout, give back, discard. Adapt a pool in a
 * few lines:
 *
 * <pre>{@code
 * PoolAdapter<Connection> adapter = new PoolAdapter<>() {
 *   public Connection borrow(long timeoutNanos) throws InterruptedException {
 *     return pool.poll(timeoutNanos, TimeUnit.NANOSECONDS);   // null when none came in time
 *   }
 *   public void giveBack(Connection c) { pool.offer(c); }
 * };
 * }</pre>
 *
 * <p>Implementations must be safe to call from many threads at once. A pool whose borrow takes no
 * timeout (a {@code DataSource}) may ignore it: the guard still bounds how many threads wait.
 *
 * @param <R> the resource type
 */
public interface PoolAdapter<R> {

  /**
   * Borrows a resource, waiting at most {@code timeoutNanos}; returns null if none became free in
   * time. An exception is a failure of the pool or the resource behind it.
   */
  R borrow(long timeoutNanos) throws InterruptedException;

  /** Returns a healthy resource to the pool. */
  void giveBack(R resource);

  /** Removes a broken resource from the pool; by default gives it back. */
  default void discard(R resource) {
    giveBack(resource);
  }
}
