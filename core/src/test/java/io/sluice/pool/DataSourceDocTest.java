package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.docs.DocSnippets;
import io.sluice.metrics.LimiterSnapshot;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The snippets of docs/15-datasource.md: every line of its Java blocks is a line of this test,
 * which runs them on HikariCP over an in-memory H2 database.
 */
@Timeout(60)
class DataSourceDocTest {

  /** A request as a server sees it: who asks, and by when it must be answered. */
  record Request(String customer, long deadlineNanos) {}

  /** Plain JDBC code on a DataSource, unaware of the guard: stands for a framework. */
  static final class Orders {
    private final javax.sql.DataSource dataSource;

    Orders(javax.sql.DataSource dataSource) {
      this.dataSource = dataSource;
    }

    List<String> findByCustomer(String customer) throws SQLException {
      try (Connection c = dataSource.getConnection();
           Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT 'order of " + customer + "'")) {
        List<String> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(rs.getString(1));
        }
        return rows;
      }
    }
  }

  static String query(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
      return rs.next() ? "ok" : "empty";
    }
  }

  @SuppressWarnings("try") // the scope is used for what opening and closing it do
  static List<String> handle(GuardedDataSource db, Orders orders, Request request)
      throws SQLException {
    try (GuardedDataSource.DeadlineScope scope = db.withDeadline(request.deadlineNanos())) {
      return orders.findByCustomer(request.customer());  // getConnection() waits to the deadline
    }
  }

  static String answer(GuardedDataSource db) throws SQLException {
    try (Connection c = db.getConnection(Duration.ofMillis(200))) {
      return query(c);
    } catch (SQLTransientConnectionException e) {
      if (e.getCause() instanceof AdmissionRejectedException r) {
        return "503 Retry-After: " + r.retryAfterSeconds(); // why: r.reason()
      }
      throw e;
    }
  }

  static String direct(PoolGuard<Connection> guard) throws Exception {
    try (Lease<Connection> lease = guard.acquire(Duration.ofMillis(200))) {
      return query(lease.resource());
    }
  }

  @Test
  void theSnippetsRun() throws Exception {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:docs;DB_CLOSE_DELAY=-1");
    config.setMaximumPoolSize(4);
    config.setConnectionTimeout(250);
    HikariDataSource pool = new HikariDataSource(config);   // any DataSource
    try (pool) {
      PoolGuard<Connection> guard = PoolGuard.newBuilder(DataSourceAdapter.of(pool))
          .maxCheckouts(4)                     // the pool's maximumPoolSize
          .maxWait(Duration.ofMillis(500))     // the longest any getConnection() waits
          .build();
      GuardedDataSource db = GuardedDataSource.of(guard);  // hand this to your JDBC code

      Orders orders = new Orders(db);
      assertThat(handle(db, orders, new Request("alice", System.nanoTime() + 10_000_000_000L)))
          .containsExactly("order of alice");
      assertThatThrownBy(() -> handle(db, orders, new Request("bob", System.nanoTime() - 1)))
          .as("under a scope whose deadline passed, getConnection() is refused at once")
          .isInstanceOf(SQLTransientConnectionException.class)
          .cause().isInstanceOfSatisfying(AdmissionRejectedException.class,
              r -> assertThat(r.reason()).isEqualTo(RejectReason.DEADLINE));

      assertThat(answer(db)).isEqualTo("ok");
      GuardedDataSource failFast = GuardedDataSource.of(PoolGuard.newBuilder(
          DataSourceAdapter.of(pool)).maxCheckouts(1).maxWaiters(0).build());
      try (Connection held = failFast.getConnection()) {
        assertThat(query(held)).isEqualTo("ok");
        assertThat(answer(failFast)).isEqualTo("503 Retry-After: 1");
      }

      Connection c = db.getConnection();
      c.unwrap(Lease.class).release(Outcome.DROPPED);  // the query timed out: a capacity signal
      c.close();                                     // does nothing: the lease is released
      assertThat(c.isClosed()).isTrue();
      assertThat(guard.limiter().snapshot().dropped()).isOne();

      assertThat(direct(guard)).isEqualTo("ok");
      assertThat(guard.limiter().inFlight()).isZero();
      assertThat(guard.limiter().snapshot().invalidReleases()).isZero();
      assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
    }
  }

  @Test
  void thePageShowsTheSnippetsThisTestRuns() {
    String page = DocSnippets.page("docs/15-datasource.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(5);
    assertThat(DocSnippets.linesMissingFrom(page,
            Path.of("src", "test", "java", "io", "sluice", "pool", "DataSourceDocTest.java")))
        .as("documented lines not run by this test").isEmpty();
  }
}
