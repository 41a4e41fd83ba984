package io.sluice.pool;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Real pools for the DataSource guard's tests: HikariCP over a fresh in-memory H2 database, and a
 * scripted DataSource that fails as a test tells it to. The tests may use HikariCP's own classes
 * (to read its active connections); the code under test uses only JDBC interfaces.
 */
final class H2Pools {
  private H2Pools() {}

  /**
   * Returns a HikariCP pool of {@code size} connections to the in-memory database {@code name},
   * whose own wait for a connection is {@code connectionTimeout} (250 ms at least).
   */
  static HikariDataSource hikari(String name, int size, Duration connectionTimeout) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
    config.setUsername("sa");
    config.setPassword("");
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(size);
    config.setConnectionTimeout(connectionTimeout.toMillis());
    return new HikariDataSource(config);
  }

  /** Returns the connections the pool has handed out and not had back. */
  static int active(HikariDataSource pool) {
    return pool.getHikariPoolMXBean().getActiveConnections();
  }

  /** Waits until {@code condition} holds; the test's timeout bounds the wait. */
  static void await(BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      Thread.yield();
    }
  }

  /** A getConnection() a test scripts. */
  @FunctionalInterface
  interface ConnectionSource {
    Connection get() throws SQLException;
  }

  /**
   * A DataSource on H2's driver (no pool) whose getConnection() runs a script, to fail as a pool
   * may; getConnection(user, password) goes to the driver.
   */
  static final class ScriptedDataSource implements DataSource {
    final String url;
    volatile ConnectionSource source;

    ScriptedDataSource(String name) {
      this.url = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1";
      this.source = () -> DriverManager.getConnection(url, "sa", "");
    }

    @Override
    public Connection getConnection() throws SQLException {
      return source.get();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return DriverManager.getConnection(url, username, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
