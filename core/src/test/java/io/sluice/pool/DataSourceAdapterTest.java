package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.RejectReason;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, item 6: {@link DataSourceAdapter} under a {@link PoolGuard} used directly. How each
 * getConnection() failure becomes a refusal, an interrupt or an {@link UncheckedSQLException},
 * with which outcome the permit is released, scripted on one thread (no waiting anywhere).
 */
@Timeout(30)
class DataSourceAdapterTest {
  private final ManualClock clock = new ManualClock();
  private final H2Pools.ScriptedDataSource source;
  private final PoolGuard<Connection> guard;

  DataSourceAdapterTest(TestInfo test) {
    source = new H2Pools.ScriptedDataSource(test.getTestMethod().orElseThrow().getName());
    guard = PoolGuard.newBuilder(DataSourceAdapter.of(source)).clock(clock).maxCheckouts(2)
        .build();
  }

  private LimiterSnapshot limiter() {
    return guard.limiter().snapshot();
  }

  @Test
  void aLeaseHoldsAConnectionOfThePoolAndClosingGivesItBack() throws Exception {
    Connection c;
    try (Lease<Connection> lease = guard.acquire(Duration.ofMillis(200))) {
      c = lease.resource();
      assertThat(c.isValid(1)).isTrue();
    }
    assertThat(c.isClosed()).as("giving it back closes it, which returns it to a pool").isTrue();
    assertThat(limiter().succeeded()).isOne();
    assertThat(guard.limiter().inFlight()).isZero();
  }

  /** The pool's own timeout, in either JDBC type, is QUEUE_TIMEOUT, caused by it, and a drop. */
  @Test
  void thePoolsTimeoutIsAQueueTimeoutRefusalAndADrop() {
    SQLException[] timeouts = {
        new SQLTransientConnectionException("pool: connection is not available, timed out"),
        new SQLTimeoutException("pool: login timed out")};
    for (SQLException timeout : timeouts) {
      source.source = () -> {
        throw timeout;
      };
      assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(200)))
          .isInstanceOfSatisfying(AdmissionRejectedException.class, r -> {
            assertThat(r.reason()).isEqualTo(RejectReason.QUEUE_TIMEOUT);
            assertThat(r.retryAfterNanos()).isPositive();
          })
          .hasCause(timeout);
    }
    assertThat(limiter().dropped()).isEqualTo(2);
    assertThat(guard.limiter().inFlight()).isZero();
  }

  /** Any other SQLException is thrown unchecked, with the permit released as a drop. */
  @Test
  void otherFailuresAreUncheckedAndReleaseThePermit() {
    SQLException refused = new SQLException("connection refused", "08001");
    source.source = () -> {
      throw refused;
    };
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(200)))
        .isInstanceOfSatisfying(UncheckedSQLException.class,
            e -> assertThat((Throwable) e.getCause()).isSameAs(refused));
    assertThat(limiter().dropped()).isOne();
    assertThat(guard.limiter().inFlight()).isZero();
  }

  /**
   * A pool interrupted in its wait throws an SQLException and sets the flag again (as HikariCP
   * does); another wraps the InterruptedException without the flag. Both become an
   * InterruptedException, with the flag cleared as that exception's convention says, and the
   * permit is released as IGNORED: an interrupt says nothing of capacity.
   */
  @Test
  void anInterruptedGetConnectionIsAnInterruptedException() {
    source.source = () -> {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted during connection acquisition");
    };
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(200)))
        .isInstanceOf(InterruptedException.class).hasCauseInstanceOf(SQLException.class);
    assertThat(Thread.interrupted()).isFalse();
    source.source = () -> {
      throw new SQLException("interrupted", new InterruptedException());
    };
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(200)))
        .isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).isFalse();
    assertThat(limiter().ignored()).isEqualTo(2);
    assertThat(limiter().dropped()).isZero();
    assertThat(guard.limiter().inFlight()).isZero();
  }

  /** A close that fails is thrown from the lease's close, after the permit is released. */
  @Test
  void aFailedCloseIsThrownAfterThePermitIsReleased() throws Exception {
    SQLException closeFailed = new SQLException("close failed");
    source.source = () -> (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {Connection.class}, (proxy, method, args) -> {
          if (method.getName().equals("close")) {
            throw closeFailed;
          }
          throw new UnsupportedOperationException(method.getName());
        });
    Lease<Connection> lease = guard.acquire(Duration.ofMillis(200));
    assertThatThrownBy(lease::close).isInstanceOfSatisfying(UncheckedSQLException.class,
        e -> assertThat((Throwable) e.getCause()).isSameAs(closeFailed));
    assertThat(lease.isReleased()).isTrue();
    assertThat(guard.limiter().inFlight()).isZero();
  }

  @Test
  void checksItsArgument() {
    assertThatThrownBy(() -> DataSourceAdapter.of(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataSource");
    assertThatThrownBy(() -> new UncheckedSQLException(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cause");
  }
}
