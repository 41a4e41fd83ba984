package io.sluice.pool;

import io.sluice.internal.Args;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import javax.sql.DataSource;

/**
 * Adapts any {@link DataSource} (usually a connection pool: HikariCP, Agroal, DBCP, a driver's
 * pooled source) to a {@link PoolGuard}: a checkout calls {@link DataSource#getConnection()}, and
 * giving the connection back closes it (which returns it to its pool). Only JDBC interfaces and
 * standard exception types are used, never a pool's own classes, so it works with any pool.
 *
 * <pre>{@code
 * PoolGuard<Connection> guard = PoolGuard.newBuilder(DataSourceAdapter.of(pool))
 *     .maxCheckouts(10)          // the pool's size
 *     .build();
 * }</pre>
 *
 * Most users want {@link GuardedDataSource}, a {@code DataSource} built on this adapter.
 *
 * <h2>How {@code getConnection()} failures are read</h2>
 * JDBC gives {@code getConnection()} no timeout, so the timeout passed to {@link #borrow} is not
 * passed on: the wait inside the pool is bounded by the pool's own connection timeout. Since the
 * guard admits no more callers than the pool has connections, an admitted caller normally finds
 * one at once; set the pool's timeout short (for HikariCP {@code connectionTimeout}, 250 ms at
 * least) so that a pool that cannot serve what the guard admits answers soon.
 * <ul>
 *   <li>An {@link SQLTransientConnectionException} or {@link SQLTimeoutException} (the JDBC types
 *       a pool throws when no connection came within its own timeout, HikariCP's among them): the
 *       guard refuses with {@code QUEUE_TIMEOUT} (the pool's exception is the refusal's cause) and
 *       releases the permit as {@code DROPPED}: the pool served fewer than the guard admitted, a
 *       capacity signal, so the guard's limit falls.
 *   <li>An interrupt (the thread's interrupt flag set after the failure, as pools leave it, or an
 *       {@link InterruptedException} among the causes): {@link InterruptedException}, the flag
 *       cleared, the permit released as {@code IGNORED}.
 *   <li>Any other {@link SQLException}: an {@link UncheckedSQLException}, the permit released as
 *       {@code DROPPED} (a borrow that fails, see {@link PoolGuard}).
 * </ul>
 * A {@code close()} that fails in {@link #giveBack} throws an {@link UncheckedSQLException} from
 * the lease's close, after the permit is released.
 *
 * <p>Thread-safe, as {@link PoolAdapter} requires, when the data source is (every pool is).
 */
public final class DataSourceAdapter implements PoolAdapter<Connection> {
  private final DataSource dataSource;
  /** Credentials of a getConnection(user, password) under way on this thread; rarely set. */
  private final ThreadLocal<String[]> credentials = new ThreadLocal<>();

  private DataSourceAdapter(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Returns an adapter over {@code dataSource}. */
  public static DataSourceAdapter of(DataSource dataSource) {
    return new DataSourceAdapter(Args.notNull("dataSource", dataSource));
  }

  /** Returns the data source adapted. */
  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Calls {@link DataSource#getConnection()}, which waits at most the pool's own timeout, not
   * {@code timeoutNanos} (JDBC cannot pass one); failures are read as the class says.
   */
  @Override
  public Connection borrow(long timeoutNanos) throws InterruptedException {
    Connection c;
    try {
      String[] userAndPassword = credentials.get();
      c = userAndPassword == null
          ? dataSource.getConnection()
          : dataSource.getConnection(userAndPassword[0], userAndPassword[1]);
    } catch (SQLException e) {
      // JDBC cannot throw InterruptedException: pools set the flag again and throw SQLException.
      if (Thread.interrupted() || causedByInterrupt(e)) {
        InterruptedException interrupt = new InterruptedException(e.getMessage());
        interrupt.initCause(e);
        throw interrupt;
      }
      if (e instanceof SQLTransientConnectionException || e instanceof SQLTimeoutException) {
        throw new PoolTimedOut(e);
      }
      throw new UncheckedSQLException(e);
    }
    if (c == null) {
      throw new UncheckedSQLException(new SQLException(dataSource + " returned no connection"));
    }
    return c;
  }

  /** Closes the connection, which gives it back to its pool. */
  @Override
  public void giveBack(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new UncheckedSQLException(e);
    }
  }

  /**
   * Makes this thread's borrows call {@link DataSource#getConnection(String, String)} until
   * {@link #clearCredentials()}: a guard borrows on the thread that acquires.
   */
  void useCredentials(String user, String password) {
    credentials.set(new String[] {user, password});
  }

  /** Makes this thread's borrows call {@link DataSource#getConnection()} again. */
  void clearCredentials() {
    credentials.remove();
  }

  private static boolean causedByInterrupt(Throwable t) {
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "DataSourceAdapter[" + dataSource + "]";
  }
}
