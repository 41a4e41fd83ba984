package io.sluice.pool;

import static io.sluice.pool.H2Pools.active;
import static io.sluice.pool.H2Pools.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.sluice.pool.H2Pools.ConnectionSource;
import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.PoolGuardSnapshot;
import io.sluice.testing.ManualClock;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLInvalidAuthorizationSpecException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.h2.jdbc.JdbcConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, item 6: a {@link GuardedDataSource} in front of a real HikariCP pool on an in-memory
 * H2 database. Callers run on real threads (JDBC blocks); the guard's time is a {@link
 * ManualClock} the test moves, connections are held on latches, and the test waits for states
 * (callers in line, connections out) by the guard's and the pool's counts, never by sleeping. The
 * one real wait is HikariCP's own connection timeout (250 ms) in the test of its mapping.
 */
@Timeout(60)
class GuardedDataSourceTest {
  private static final long MS = 1_000_000L;
  private final ManualClock clock = new ManualClock();
  private final List<AutoCloseable> closeAtEnd = new ArrayList<>();
  private final List<Thread> started = new ArrayList<>();
  private String name;

  GuardedDataSourceTest(TestInfo test) {
    this.name = test.getTestMethod().orElseThrow().getName();
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Thread t : started) {
      t.interrupt();
      t.join();
    }
    for (AutoCloseable c : closeAtEnd) {
      c.close();
    }
  }

  private HikariDataSource hikari(int size, Duration connectionTimeout) {
    HikariDataSource pool = H2Pools.hikari(name, size, connectionTimeout);
    closeAtEnd.add(pool);
    return pool;
  }

  private Limiter fixed(int limit, NanoClock clock) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
  }

  private GuardedDataSource guarded(javax.sql.DataSource pool, int limit) {
    return GuardedDataSource.of(PoolGuard.newBuilder(DataSourceAdapter.of(pool))
        .clock(clock).limiter(fixed(limit, clock)).build());
  }

  private Thread start(String threadName, Runnable body) {
    Thread t = new Thread(body, threadName);
    started.add(t);
    t.start();
    return t;
  }

  /** The guard's refusal inside the SQLException a refused getConnection throws. */
  private static AdmissionRejectedException refusal(SQLException e) {
    assertThat((Throwable) e).isInstanceOf(SQLTransientConnectionException.class);
    assertThat(e.getCause()).isInstanceOf(AdmissionRejectedException.class);
    return (AdmissionRejectedException) e.getCause();
  }

  private static int selectOne(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /**
   * 40 callers arrive at once with 300 ms deadlines; 4 connections serve queries held 100 ms: 12
   * fit. Exactly 12 are served, in three rounds, and the 28 others are refused at their deadline
   * with DEADLINE and a Retry-After; nothing stays out, in the guard or in the pool.
   */
  @Test
  void fortyCallersOnFourConnectionsAreServedAsFarAsTheirDeadlinesAllow() throws Exception {
    HikariDataSource pool = hikari(4, Duration.ofSeconds(30));
    GuardedDataSource db = guarded(pool, 4);
    PoolGuard<Connection> guard = db.guard();
    long deadline = clock.nanoTime() + 300 * MS;
    BlockingQueue<CountDownLatch> holding = new LinkedBlockingQueue<>();
    AtomicInteger served = new AtomicInteger();
    Queue<AdmissionRejectedException> refused = new ConcurrentLinkedQueue<>();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> callers = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      callers.add(start("caller-" + i, () -> {
        try (GuardedDataSource.DeadlineScope scope = db.withDeadline(deadline)) {
          assertThat(scope.deadlineNanos()).isEqualTo(deadline);
          try (Connection c = db.getConnection()) {
            assertThat(selectOne(c)).isEqualTo(1);
            served.incrementAndGet();
            CountDownLatch hold = new CountDownLatch(1);
            holding.add(hold);
            hold.await(); // the query's 100 ms, ended by the test
          }
        } catch (SQLException e) {
          if (e.getCause() instanceof AdmissionRejectedException) {
            refused.add(refusal(e));
          } else {
            failures.add(e);
          }
        } catch (Throwable t) {
          failures.add(t);
        }
      }));
    }
    await(() -> holding.size() == 4 && guard.waiters() == 36);
    for (int round = 1; round <= 3; round++) {
      clock.advance(Duration.ofMillis(100));
      List<CountDownLatch> ends = new ArrayList<>();
      holding.drainTo(ends);
      assertThat(ends).hasSize(4);
      assertThat(active(pool)).as("connections out in round " + round).isEqualTo(4);
      ends.forEach(CountDownLatch::countDown);
      int inLine = 36 - 4 * round;
      if (round < 3) {
        await(() -> holding.size() == 4 && guard.waiters() == inLine);
      }
    }
    callers.forEach(LockSupport::unpark); // look at the clock now: the deadline has passed
    for (Thread t : callers) {
      t.join();
    }

    assertThat(failures).isEmpty();
    assertThat(served).hasValue(12);
    assertThat(refused).hasSize(28).allSatisfy(r -> {
      assertThat(r.reason()).isEqualTo(RejectReason.DEADLINE);
      assertThat(r.retryAfterNanos()).isPositive();
    });
    assertThat(guard.snapshot().refused(RejectReason.DEADLINE)).isEqualTo(28);
    assertNothingOut(guard, pool);
    LimiterSnapshot limiter = guard.limiter().snapshot();
    assertThat(limiter.succeeded()).isEqualTo(12);
    assertThat(limiter.dropped()).isZero();
  }

  private static void assertNothingOut(PoolGuard<Connection> guard, HikariDataSource pool) {
    assertThat(guard.limiter().inFlight()).as("guard in flight").isZero();
    assertThat(guard.waiters()).as("guard's line").isZero();
    assertThat(active(pool)).as("pool's active connections").isZero();
    LimiterSnapshot s = guard.limiter().snapshot();
    assertThat(s.invalidReleases()).as("releases that did nothing (double releases)").isZero();
    assertThat(s.admitted()).isEqualTo(s.succeeded() + s.dropped() + s.ignored());
  }

  /**
   * The pool times out although the guard had room (a connection is held past the guard, so the
   * pool has fewer than the guard admits): a QUEUE_TIMEOUT refusal with a Retry-After and the
   * pool's exception as its cause, the permit released as DROPPED, even though the caller's own
   * deadline (below maxWait) bounded its wait.
   */
  @Test
  void thePoolsOwnTimeoutIsAQueueTimeoutAndACapacitySignal() throws Exception {
    HikariDataSource pool = hikari(1, Duration.ofMillis(250));
    GuardedDataSource db = guarded(pool, 1);
    try (Connection bypass = pool.getConnection()) {
      assertThat(bypass.isValid(1)).isTrue();
      SQLException e = catchSql(() -> db.getConnection(Duration.ofMillis(500)));
      AdmissionRejectedException r = refusal(e);
      assertThat(r.reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);
      assertThat(r.retryAfterNanos()).isPositive();
      assertThat(r.getCause()).as("the pool's own timeout")
          .isInstanceOf(SQLTransientConnectionException.class)
          .hasMessageContaining(name);
    }
    assertThat(db.guard().limiter().snapshot().dropped()).isOne();
    assertThat(db.guard().snapshot().refused(RejectReason.QUEUE_TIMEOUT)).isOne();
    assertNothingOut(db.guard(), pool);
    try (Connection c = db.getConnection()) {
      assertThat(selectOne(c)).as("served again once the pool has room").isOne();
    }
  }

  @FunctionalInterface
  interface SqlCall {
    Object call() throws SQLException;
  }

  private static SQLException catchSql(SqlCall call) {
    try {
      call.call();
    } catch (SQLException e) {
      return e;
    }
    throw new AssertionError("expected an SQLException");
  }

  /**
   * A connection closed twice, used after close, or closed by many threads at once releases its
   * permit once; use after close throws with SQLState 08003.
   */
  @Test
  void aConnectionReleasesItsPermitExactlyOnce() throws Exception {
    HikariDataSource pool = hikari(2, Duration.ofSeconds(30));
    GuardedDataSource db = guarded(pool, 2);
    Connection c = db.getConnection();
    assertThat(selectOne(c)).isOne();
    assertThat(db.guard().limiter().inFlight()).isOne();
    c.close();
    c.close();
    assertThat(c.isClosed()).isTrue();
    assertThat(c.isValid(1)).isFalse();
    assertThatThrownBy(c::createStatement).isInstanceOf(SQLException.class)
        .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08003");
    assertThatThrownBy(() -> c.setAutoCommit(false)).isInstanceOf(SQLException.class);
    assertThatThrownBy(() -> c.setClientInfo("a", "b")).isInstanceOf(SQLException.class);
    c.abort(Runnable::run); // a no-op once closed
    c.close();
    assertThat(db.guard().limiter().snapshot().succeeded()).isOne();
    assertNothingOut(db.guard(), pool);

    for (int round = 0; round < 20; round++) {
      Connection shared = db.getConnection();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> closers = new ArrayList<>();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      for (int t = 0; t < 4; t++) {
        closers.add(start("closer-" + t, () -> {
          try {
            go.await();
            shared.close();
          } catch (Throwable e) {
            failure.set(e);
          }
        }));
      }
      go.countDown();
      for (Thread t : closers) {
        t.join();
      }
      assertThat(failure.get()).isNull();
    }
    assertThat(db.guard().limiter().snapshot().succeeded()).isEqualTo(21);
    assertNothingOut(db.guard(), pool);
  }

  /**
   * The lease behind a connection closes it with another outcome (a query that timed out is a
   * capacity signal) or discards it; the connection is closed then, and closing it again does not
   * release again. abort() releases as IGNORED.
   */
  @Test
  void theLeaseBehindAConnectionReportsOtherOutcomes() throws Exception {
    HikariDataSource pool = hikari(2, Duration.ofSeconds(30));
    GuardedDataSource db = guarded(pool, 2);
    Connection c = db.getConnection();
    assertThat(c.isWrapperFor(Lease.class)).isTrue();
    Lease<?> lease = c.unwrap(Lease.class);
    assertThat(lease.release(Outcome.DROPPED)).isTrue();
    assertThat(c.isClosed()).isTrue();
    c.close();
    Connection d = db.getConnection();
    assertThat(d.unwrap(JdbcConnection.class)).as("the driver's connection, through the pool's")
        .isNotNull();
    d.abort(Runnable::run);
    assertThat(d.isClosed()).isTrue();
    d.close();
    LimiterSnapshot s = db.guard().limiter().snapshot();
    assertThat(s.dropped()).isOne();
    assertThat(s.ignored()).isOne();
    assertThat(s.succeeded()).isZero();
    assertNothingOut(db.guard(), pool);
  }

  /**
   * getConnection's failures release the permit: the pool's SQLException is thrown as it is (a
   * wrong password, from H2 itself), and so is a RuntimeException.
   */
  @Test
  void failuresOfGetConnectionReleaseThePermit() throws Exception {
    H2Pools.ScriptedDataSource source = new H2Pools.ScriptedDataSource(name);
    ConnectionSource h2 = source.source;
    GuardedDataSource db = guarded(source, 1);
    try (Connection c = db.getConnection("sa", "")) {
      assertThat(selectOne(c)).isOne();
    }
    SQLException wrongPassword = catchSql(() -> db.getConnection("sa", "wrong"));
    assertThat((Throwable) wrongPassword)
        .isInstanceOf(SQLInvalidAuthorizationSpecException.class);
    assertThat(db.guard().limiter().inFlight()).isZero();

    SQLException broken = new SQLException("pool closed");
    source.source = () -> {
      throw broken;
    };
    assertThat((Throwable) catchSql(db::getConnection)).isSameAs(broken);
    IllegalStateException bug = new IllegalStateException("bug in the pool");
    source.source = () -> {
      throw bug;
    };
    assertThatThrownBy(db::getConnection).isSameAs(bug);
    source.source = () -> null;
    assertThat((Throwable) catchSql(db::getConnection))
        .hasMessageContaining("returned no connection");
    LimiterSnapshot s = db.guard().limiter().snapshot();
    assertThat(s.inFlight()).isZero();
    assertThat(s.succeeded()).isOne();
    assertThat(s.dropped()).as("a borrow that fails is a drop, as for any PoolGuard").isEqualTo(4);
    assertThat(s.invalidReleases()).isZero();

    source.source = h2;
    try (Connection c = db.getConnection()) {
      assertThat(selectOne(c)).as("the permit came back each time").isOne();
    }
  }

  /**
   * A caller interrupted in the guard's line, and one interrupted inside the pool's own wait,
   * leave with an SQLException caused by an InterruptedException, their interrupt flag set again,
   * and no permit held; the interrupted borrow is released as IGNORED, not as a drop.
   */
  @Test
  void interruptedCallersLeaveWithTheirFlagSetAndNoPermit() throws Exception {
    HikariDataSource pool = hikari(1, Duration.ofSeconds(30));
    GuardedDataSource db = guarded(pool, 1);
    PoolGuard<Connection> guard = db.guard();

    AtomicReference<Throwable> inLine = new AtomicReference<>();
    AtomicReference<Boolean> flagInLine = new AtomicReference<>();
    try (Connection held = db.getConnection()) {
      Thread caller = start("in-line", () -> {
        try (Connection c = db.getConnection(Duration.ofSeconds(10))) {
          inLine.set(new AssertionError("served " + c));
        } catch (Throwable e) {
          flagInLine.set(Thread.currentThread().isInterrupted());
          inLine.set(e);
        }
      });
      await(() -> guard.waiters() == 1);
      caller.interrupt();
      caller.join();
      assertThat(held.isClosed()).isFalse();
    }
    assertThat(inLine.get()).isInstanceOf(SQLException.class)
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(flagInLine.get()).isTrue();
    assertThat(guard.waiters()).isZero();

    AtomicReference<Throwable> inPool = new AtomicReference<>();
    AtomicReference<Boolean> flagInPool = new AtomicReference<>();
    try (Connection bypass = pool.getConnection()) { // the pool is empty; the guard has room
      assertThat(bypass.isValid(1)).isTrue();
      Thread caller = start("in-pool", () -> {
        try (Connection c = db.getConnection(Duration.ofSeconds(10))) {
          inPool.set(new AssertionError("served " + c));
        } catch (Throwable e) {
          flagInPool.set(Thread.currentThread().isInterrupted());
          inPool.set(e);
        }
      });
      await(() -> guard.snapshot().waiting() == 1
          && caller.getState() == Thread.State.TIMED_WAITING);
      caller.interrupt();
      caller.join();
    }
    assertThat(inPool.get()).isInstanceOf(SQLException.class)
        .hasCauseInstanceOf(InterruptedException.class);
    assertThat(flagInPool.get()).isTrue();
    LimiterSnapshot s = guard.limiter().snapshot();
    assertThat(s.ignored()).as("the interrupted borrow").isOne();
    assertThat(s.dropped()).isZero();
    assertNothingOut(guard, pool);
  }

  /**
   * Where a plain getConnection() finds its deadline: the thread's scope (nested scopes keep the
   * earlier deadline; closing restores the one before), else maxWait; the explicit overloads use
   * their own. Deadlines already passed are refused at once, so no time needs to pass.
   */
  @Test
  void deadlineScopesGiveGetConnectionTheCallersDeadline() throws Exception {
    HikariDataSource pool = hikari(1, Duration.ofSeconds(30));
    GuardedDataSource db = guarded(pool, 1);
    long now = clock.nanoTime();
    try (GuardedDataSource.DeadlineScope passed = db.withDeadline(now)) {
      assertThat(passed.deadlineNanos()).isEqualTo(now);
      assertThat(refusal(catchSql(db::getConnection)).reason()).isEqualTo(RejectReason.DEADLINE);
      try (GuardedDataSource.DeadlineScope later = db.withDeadline(now + 1_000 * MS)) {
        assertThat(later.deadlineNanos()).as("a nested scope keeps the earlier").isEqualTo(now);
        assertThat(refusal(catchSql(db::getConnection)).reason())
            .isEqualTo(RejectReason.DEADLINE);
        try (Connection c = db.getConnection(Duration.ofSeconds(1))) {
          assertThat(selectOne(c)).as("an explicit timeout is the caller's own").isOne();
        }
      }
      assertThat(refusal(catchSql(db::getConnection)).reason()).isEqualTo(RejectReason.DEADLINE);
      AtomicReference<Throwable> elsewhere = new AtomicReference<>();
      start("other-thread", () -> {
        try (Connection c = db.getConnection()) {
          selectOne(c);
        } catch (Throwable e) {
          elsewhere.set(e);
        }
      }).join();
      assertThat(elsewhere.get()).as("another thread has no scope").isNull();
    }
    GuardedDataSource.DeadlineScope mine = db.withDeadline(now);
    AtomicReference<Throwable> closedElsewhere = new AtomicReference<>();
    start("other-closer", () -> {
      try {
        mine.close();
      } catch (Throwable e) {
        closedElsewhere.set(e);
      }
    }).join();
    assertThat(closedElsewhere.get()).as("a scope belongs to its thread")
        .isInstanceOf(IllegalStateException.class);
    assertThat(refusal(catchSql(db::getConnection)).reason()).isEqualTo(RejectReason.DEADLINE);
    mine.close();
    try (Connection c = db.getConnection()) {
      assertThat(selectOne(c)).as("the scope closed: maxWait bounds the wait").isOne();
    }
    assertThat(refusal(catchSql(() -> db.getConnection(Duration.ZERO))).reason())
        .isEqualTo(RejectReason.DEADLINE);
    assertThat(refusal(catchSql(() -> db.getConnectionBy(now - 1))).reason())
        .isEqualTo(RejectReason.DEADLINE);

    GuardedDataSource.DeadlineScope outer = db.withDeadline(now);
    GuardedDataSource.DeadlineScope inner = db.withDeadline(now + MS);
    outer.close(); // ends the inner scope too
    inner.close(); // and closing that again does nothing
    try (Connection c = db.getConnection()) {
      assertThat(selectOne(c)).isOne();
    }
    assertNothingOut(db.guard(), pool);
  }

  /** The guard refuses at once (LIMIT_REACHED) when waiting is off; maxWait bounds a plain call. */
  @Test
  void aFullLineRefusesAtOnceAndMaxWaitBoundsAPlainCall() throws Exception {
    HikariDataSource pool = hikari(1, Duration.ofSeconds(30));
    GuardedDataSource failFast = GuardedDataSource.of(
        PoolGuard.newBuilder(DataSourceAdapter.of(pool)).clock(clock).limiter(fixed(1, clock))
            .maxWaiters(0).build());
    try (Connection held = failFast.getConnection()) {
      AdmissionRejectedException r = refusal(catchSql(failFast::getConnection));
      assertThat(r.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
      assertThat(r.retryAfterNanos()).isPositive();
      assertThat(held.isClosed()).isFalse();
    }

    GuardedDataSource db = GuardedDataSource.of(PoolGuard.newBuilder(DataSourceAdapter.of(pool))
        .clock(clock).limiter(fixed(1, clock)).maxWait(Duration.ofMillis(50)).build());
    AtomicReference<Throwable> waited = new AtomicReference<>();
    try (Connection held = db.getConnection()) {
      Thread caller = start("plain", () -> {
        try (Connection c = db.getConnection()) {
          waited.set(new AssertionError("served " + c));
        } catch (Throwable e) {
          waited.set(e);
        }
      });
      await(() -> db.guard().waiters() == 1);
      clock.advance(Duration.ofMillis(50));
      LockSupport.unpark(caller);
      caller.join();
      assertThat(held.isClosed()).isFalse();
    }
    assertThat(refusal((SQLException) waited.get()).reason())
        .as("no deadline of its own: maxWait ran out").isEqualTo(RejectReason.QUEUE_TIMEOUT);
    assertNothingOut(db.guard(), pool);
  }

  @Test
  void wrapsOnlyAGuardOnADataSourceAndUnwrapsToThePool() throws Exception {
    HikariDataSource pool = hikari(1, Duration.ofSeconds(30));
    PoolGuard<Connection> other = PoolGuard.newBuilder(new PoolAdapter<Connection>() {
      @Override
      public Connection borrow(long timeoutNanos) {
        return null;
      }

      @Override
      public void giveBack(Connection c) {}
    }).maxCheckouts(1).build();
    assertThatThrownBy(() -> GuardedDataSource.of(other))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DataSourceAdapter");
    GuardedDataSource db = guarded(pool, 1);
    assertThat(db.unwrap(HikariDataSource.class)).isSameAs(pool);
    assertThat(db.unwrap(GuardedDataSource.class)).isSameAs(db);
    assertThat(db.isWrapperFor(HikariDataSource.class)).isTrue();
    assertThat(db.getLoginTimeout()).isEqualTo(pool.getLoginTimeout());
    assertThatThrownBy(db::createConnectionBuilder)
        .isInstanceOf(java.sql.SQLFeatureNotSupportedException.class);
  }
}
