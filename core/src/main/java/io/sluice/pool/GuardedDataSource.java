package io.sluice.pool;

import io.sluice.AdmissionRejectedException;
import io.sluice.internal.Args;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} that checks connections out of another one (any pool) through a
 * {@link PoolGuard}: {@link #getConnection()} waits its turn in the guard's line, to the caller's
 * deadline, and the {@link Connection} it returns releases the guard's permit when closed. Hand it
 * to whatever takes a {@code DataSource} (plain JDBC, a JdbcTemplate, an ORM): they need not know.
 *
 * <pre>{@code
 * PoolGuard<Connection> guard = PoolGuard.newBuilder(DataSourceAdapter.of(pool))
 *     .maxCheckouts(10)          // the pool's size
 *     .build();
 * GuardedDataSource db = GuardedDataSource.of(guard);
 * try (Connection c = db.getConnection()) { ... }
 * }</pre>
 *
 * <h2>The caller's deadline</h2>
 * {@link DataSource#getConnection()} takes no timeout, so each call finds its wait thus:
 * <ul>
 *   <li>{@link #getConnection()} and {@link #getConnection(String, String)}: the deadline of the
 *       thread's {@linkplain #withDeadline deadline scope} if one is open (a request handler
 *       opens it, and every query under it, even through a framework, waits at most to the
 *       request's deadline); otherwise the guard's {@code maxWait} (1 s by default).
 *   <li>{@link #getConnection(Duration)} and {@link #getConnectionBy(long)}: the timeout or
 *       deadline given, whatever scope is open.
 * </ul>
 * In every case the wait is also at most the guard's {@code maxWait}. The wait inside the pool's
 * own {@code getConnection()} is bounded by the pool's connection timeout, which JDBC cannot
 * shorten per call; since the guard admits no more callers than the pool has connections, an
 * admitted caller normally finds one at once (see {@link DataSourceAdapter}).
 *
 * <h2>Refusals and failures</h2>
 * A refused checkout throws an {@link SQLTransientConnectionException} (the JDBC type for "no
 * connection now, a retry may succeed") whose cause is the guard's
 * {@link AdmissionRejectedException}, with the reason and a Retry-After:
 * <ul>
 *   <li>{@code DEADLINE}: the caller's deadline passed in line;
 *   <li>{@code QUEUE_TIMEOUT}: {@code maxWait} passed in line, or the pool's own timeout ran out
 *       although the guard had room: the pool serves fewer than the guard admits, so the permit is
 *       released as {@code DROPPED} and the guard's limit falls;
 *   <li>{@code LIMIT_REACHED}: every permit is out and the line is full.
 * </ul>
 * Any other {@link SQLException} of the pool is thrown as it is. An interrupted caller gets an
 * {@link SQLException} whose cause is the {@link InterruptedException}, with its interrupt flag
 * set again (as pools do). In every case the permit is released before the call returns.
 *
 * <h2>Connections</h2>
 * {@link Connection#close()} gives the pool's connection back and releases the permit as
 * {@code SUCCESS} (the hold time is the guard's latency sample); closing again, from any thread,
 * does nothing, and any other use after close throws an {@link SQLException} (SQLState 08003).
 * {@code connection.unwrap(Lease.class)} returns the checkout's {@link Lease}, to close it as
 * {@code DROPPED} (the query timed out: a capacity signal) or to discard a broken connection.
 * {@code abort} releases the permit as {@code IGNORED}.
 *
 * <h2>Modules</h2>
 * Core requires {@code java.sql} only statically ({@code requires static transitive java.sql}):
 * an application without JDBC needs no {@code java.sql} module at run time, and core depends on
 * nothing beyond the JDK. An application that uses this class has {@code java.sql} anyway (it made
 * a {@code DataSource}), and a module that reads {@code io.sluice} reads {@code java.sql} too.
 *
 * <p>Thread-safe: any thread may get connections at any time. A connection, like any JDBC
 * connection, is used by one thread at a time, but may be closed from any thread; deadline scopes
 * belong to the thread that opened them. {@link #createConnectionBuilder()} is not supported (a
 * connection built that way would bypass the guard). Metrics: {@link PoolGuard#snapshot()} on
 * {@link #guard()}.
 */
public final class GuardedDataSource implements DataSource {
  /** The timeout of a call without a deadline: longer than any maxWait, so maxWait bounds it. */
  static final Duration NO_DEADLINE = Duration.ofDays(1);

  private final PoolGuard<Connection> guard;
  private final DataSourceAdapter adapter;
  private final DataSource dataSource;
  /** The innermost open deadline scope of each thread; none on most threads. */
  private final ThreadLocal<DeadlineScope> scopes = new ThreadLocal<>();

  private GuardedDataSource(PoolGuard<Connection> guard, DataSourceAdapter adapter) {
    this.guard = guard;
    this.adapter = adapter;
    this.dataSource = adapter.dataSource();
  }

  /**
   * Returns a data source that checks connections out through {@code guard}.
   *
   * @throws IllegalArgumentException if the guard was not built on a {@link DataSourceAdapter}
   */
  public static GuardedDataSource of(PoolGuard<Connection> guard) {
    Args.notNull("guard", guard);
    if (!(guard.adapter instanceof DataSourceAdapter)) {
      throw new IllegalArgumentException(
          "guard must be built on a DataSourceAdapter but was built on " + guard.adapter);
    }
    return new GuardedDataSource(guard, (DataSourceAdapter) guard.adapter);
  }

  /** Returns the guard: its limiter and {@link PoolGuard#snapshot()} tell what it does. */
  public PoolGuard<Connection> guard() {
    return guard;
  }

  /**
   * Checks a connection out, waiting to the deadline of this thread's scope if one is open, else
   * at most the guard's maxWait.
   *
   * @throws SQLTransientConnectionException if refused; its cause tells why and when to retry
   * @throws SQLException if the pool failed, or the caller was interrupted
   */
  @Override
  public Connection getConnection() throws SQLException {
    DeadlineScope scope = scopes.get();
    return scope == null ? checkout(NO_DEADLINE, 0) : checkout(null, scope.deadlineNanos);
  }

  /**
   * Checks a connection out, waiting at most {@code timeout} (and the guard's maxWait).
   *
   * @param timeout in [0, 1 day]; zero is refused at once with DEADLINE
   * @throws SQLTransientConnectionException if refused; its cause tells why and when to retry
   * @throws SQLException if the pool failed, or the caller was interrupted
   */
  public Connection getConnection(Duration timeout) throws SQLException {
    return checkout(Args.notNull("timeout", timeout), 0);
  }

  /**
   * Checks a connection out before {@code deadlineNanos}, a reading of the guard's clock, waiting
   * at most the guard's maxWait.
   *
   * @throws SQLTransientConnectionException if refused; its cause tells why and when to retry
   * @throws SQLException if the pool failed, or the caller was interrupted
   */
  public Connection getConnectionBy(long deadlineNanos) throws SQLException {
    return checkout(null, deadlineNanos);
  }

  /**
   * Checks out a connection of the pool's {@link DataSource#getConnection(String, String)}
   * (which many pools do not support), waiting as {@link #getConnection()} does.
   */
  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    adapter.useCredentials(username, password);
    try {
      return getConnection();
    } finally {
      adapter.clearCredentials();
    }
  }

  /**
   * Gives this thread's {@link #getConnection()} calls the deadline {@code deadlineNanos} (a
   * reading of the guard's clock) until the scope is closed; a scope opened inside another keeps
   * the earlier of the two deadlines. Close it on this thread, with try-with-resources:
   *
   * <pre>{@code
   * try (GuardedDataSource.DeadlineScope scope = db.withDeadline(request.deadline())) {
   *   return jdbcTemplate.query(...);      // its getConnection() waits at most to the deadline
   * }
   * }</pre>
   */
  public DeadlineScope withDeadline(long deadlineNanos) {
    DeadlineScope outer = scopes.get();
    long deadline = outer != null && outer.deadlineNanos - deadlineNanos < 0
        ? outer.deadlineNanos : deadlineNanos;
    DeadlineScope scope = new DeadlineScope(this, outer, deadline);
    scopes.set(scope);
    return scope;
  }

  /** Acquires with {@code timeout}, or by {@code deadlineNanos} when the timeout is null. */
  private Connection checkout(Duration timeout, long deadlineNanos) throws SQLException {
    Lease<Connection> lease;
    try {
      lease = timeout != null ? guard.acquire(timeout) : guard.acquireBy(deadlineNanos);
    } catch (AdmissionRejectedException e) {
      throw new Refused(e);
    } catch (UncheckedSQLException e) {
      throw unwrapped(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // JDBC cannot throw it: keep the flag, as pools do
      throw new SQLException("interrupted while waiting for a connection", e);
    }
    return new GuardedConnection(lease);
  }

  /** Returns the SQLException inside {@code e}, with anything suppressed on the way. */
  static SQLException unwrapped(UncheckedSQLException e) {
    SQLException cause = e.getCause();
    for (Throwable suppressed : e.getSuppressed()) {
      cause.addSuppressed(suppressed);
    }
    return cause;
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return dataSource.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    dataSource.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    dataSource.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return dataSource.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return dataSource.getParentLogger();
  }

  /** Returns this object, the pool's data source, or what the pool unwraps to. */
  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return iface.isInstance(dataSource) ? iface.cast(dataSource) : dataSource.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || iface.isInstance(dataSource)
        || dataSource.isWrapperFor(iface);
  }

  @Override
  public String toString() {
    return "GuardedDataSource[" + guard + "]";
  }

  /**
   * A deadline for the {@link GuardedDataSource#getConnection()} calls of one thread, from
   * {@link GuardedDataSource#withDeadline} to {@link #close()}.
   *
   * <p>Confined to the thread that opened it: closing it elsewhere throws an
   * {@link IllegalStateException}. Closing it ends the scopes opened inside it too, and restores
   * the deadline that was in force when it opened; closing it again does nothing.
   */
  public static final class DeadlineScope implements AutoCloseable {
    private final GuardedDataSource source;
    private final Thread owner = Thread.currentThread();
    private final DeadlineScope outer;
    private final long deadlineNanos;

    private DeadlineScope(GuardedDataSource source, DeadlineScope outer, long deadlineNanos) {
      this.source = source;
      this.outer = outer;
      this.deadlineNanos = deadlineNanos;
    }

    /** Returns the deadline in force in this scope, a reading of the guard's clock. */
    public long deadlineNanos() {
      return deadlineNanos;
    }

    /** Ends the scope (and any opened inside it) on this thread. */
    @Override
    public void close() {
      if (Thread.currentThread() != owner) {
        throw new IllegalStateException(
            "a deadline scope is closed on the thread that opened it (" + owner + ")");
      }
      for (DeadlineScope s = source.scopes.get(); s != null; s = s.outer) {
        if (s == this) {
          if (outer == null) {
            source.scopes.remove();
          } else {
            source.scopes.set(outer);
          }
          return;
        }
      }
    }
  }

  /**
   * A refused checkout. No stack trace: refusals are frequent under overload and their origin is
   * always getConnection.
   */
  private static final class Refused extends SQLTransientConnectionException {
    private static final long serialVersionUID = 1L;

    Refused(AdmissionRejectedException rejection) {
      super("no connection: " + rejection.getMessage(), rejection);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }
}
