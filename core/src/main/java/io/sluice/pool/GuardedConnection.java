package io.sluice.pool;

import io.sluice.Outcome;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.ClientInfoStatus;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.ShardingKey;
import java.sql.Statement;
import java.sql.Struct;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;

/**
 * The connection handed out by {@link GuardedDataSource}: every call goes to the pool's connection
 * while the lease is held; {@link #close()} gives that connection back and releases the lease's
 * permit, exactly once. Once the lease is released (by this close, an {@link #abort}, or the
 * lease's own close reached through {@code unwrap(Lease.class)}), every call but {@code close},
 * {@code isClosed}, {@code isValid}, {@code abort} and the unwraps to this object or its lease
 * throws an {@link SQLException} with SQLState 08003, and closing again does nothing: the lease's
 * compare-and-set makes the release happen once however many threads close.
 *
 * <p>One per checkout (a checkout already allocates its lease). Statements created here are the
 * pool's own; their {@code getConnection()} returns the pool's connection, not this one.
 */
final class GuardedConnection implements Connection {
  /** SQLState: the connection does not exist (SQL:2016, class 08). */
  private static final String CLOSED_STATE = "08003";

  private final Lease<Connection> lease;
  private final Connection delegate;

  GuardedConnection(Lease<Connection> lease) {
    this.lease = lease;
    this.delegate = lease.resource();
  }

  /** Returns the pool's connection, or throws if the lease is released. */
  private Connection open() throws SQLException {
    if (lease.isReleased()) {
      throw new SQLNonTransientConnectionException("connection is closed", CLOSED_STATE);
    }
    return delegate;
  }

  /** Gives the connection back and releases the permit as SUCCESS; a second close does nothing. */
  @Override
  public void close() throws SQLException {
    if (lease.isReleased()) {
      return;
    }
    try {
      lease.release(Outcome.SUCCESS);
    } catch (UncheckedSQLException e) {
      throw GuardedDataSource.unwrapped(e);
    }
  }

  @Override
  public boolean isClosed() throws SQLException {
    return lease.isReleased() || delegate.isClosed();
  }

  @Override
  public boolean isValid(int timeout) throws SQLException {
    return !lease.isReleased() && delegate.isValid(timeout);
  }

  /**
   * Aborts the pool's connection, then releases the permit as IGNORED (an aborted connection's
   * hold time says nothing of the database's latency); a no-op once closed.
   */
  @Override
  public void abort(Executor executor) throws SQLException {
    if (lease.isReleased()) {
      return;
    }
    delegate.abort(executor);
    try {
      lease.release(Outcome.IGNORED);
    } catch (UncheckedSQLException e) {
      throw GuardedDataSource.unwrapped(e);
    }
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    if (iface == Lease.class) {
      return iface.cast(lease);
    }
    Connection c = open();
    return iface.isInstance(c) ? iface.cast(c) : c.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    if (iface.isInstance(this) || iface == Lease.class) {
      return true;
    }
    Connection c = open();
    return iface.isInstance(c) || c.isWrapperFor(iface);
  }

  @Override
  public Statement createStatement() throws SQLException {
    return open().createStatement();
  }

  @Override
  public PreparedStatement prepareStatement(String sql) throws SQLException {
    return open().prepareStatement(sql);
  }

  @Override
  public CallableStatement prepareCall(String sql) throws SQLException {
    return open().prepareCall(sql);
  }

  @Override
  public String nativeSQL(String sql) throws SQLException {
    return open().nativeSQL(sql);
  }

  @Override
  public void setAutoCommit(boolean autoCommit) throws SQLException {
    open().setAutoCommit(autoCommit);
  }

  @Override
  public boolean getAutoCommit() throws SQLException {
    return open().getAutoCommit();
  }

  @Override
  public void commit() throws SQLException {
    open().commit();
  }

  @Override
  public void rollback() throws SQLException {
    open().rollback();
  }

  @Override
  public DatabaseMetaData getMetaData() throws SQLException {
    return open().getMetaData();
  }

  @Override
  public void setReadOnly(boolean readOnly) throws SQLException {
    open().setReadOnly(readOnly);
  }

  @Override
  public boolean isReadOnly() throws SQLException {
    return open().isReadOnly();
  }

  @Override
  public void setCatalog(String catalog) throws SQLException {
    open().setCatalog(catalog);
  }

  @Override
  public String getCatalog() throws SQLException {
    return open().getCatalog();
  }

  @Override
  public void setTransactionIsolation(int level) throws SQLException {
    open().setTransactionIsolation(level);
  }

  @Override
  public int getTransactionIsolation() throws SQLException {
    return open().getTransactionIsolation();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return open().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    open().clearWarnings();
  }

  @Override
  public Statement createStatement(int resultSetType, int resultSetConcurrency)
      throws SQLException {
    return open().createStatement(resultSetType, resultSetConcurrency);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int resultSetType,
      int resultSetConcurrency) throws SQLException {
    return open().prepareStatement(sql, resultSetType, resultSetConcurrency);
  }

  @Override
  public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency)
      throws SQLException {
    return open().prepareCall(sql, resultSetType, resultSetConcurrency);
  }

  @Override
  public Map<String, Class<?>> getTypeMap() throws SQLException {
    return open().getTypeMap();
  }

  @Override
  public void setTypeMap(Map<String, Class<?>> map) throws SQLException {
    open().setTypeMap(map);
  }

  @Override
  public void setHoldability(int holdability) throws SQLException {
    open().setHoldability(holdability);
  }

  @Override
  public int getHoldability() throws SQLException {
    return open().getHoldability();
  }

  @Override
  public Savepoint setSavepoint() throws SQLException {
    return open().setSavepoint();
  }

  @Override
  public Savepoint setSavepoint(String name) throws SQLException {
    return open().setSavepoint(name);
  }

  @Override
  public void rollback(Savepoint savepoint) throws SQLException {
    open().rollback(savepoint);
  }

  @Override
  public void releaseSavepoint(Savepoint savepoint) throws SQLException {
    open().releaseSavepoint(savepoint);
  }

  @Override
  public Statement createStatement(int resultSetType, int resultSetConcurrency,
      int resultSetHoldability) throws SQLException {
    return open().createStatement(resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int resultSetType,
      int resultSetConcurrency, int resultSetHoldability) throws SQLException {
    return open().prepareStatement(sql, resultSetType, resultSetConcurrency,
        resultSetHoldability);
  }

  @Override
  public CallableStatement prepareCall(String sql, int resultSetType, int resultSetConcurrency,
      int resultSetHoldability) throws SQLException {
    return open().prepareCall(sql, resultSetType, resultSetConcurrency, resultSetHoldability);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys)
      throws SQLException {
    return open().prepareStatement(sql, autoGeneratedKeys);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, int[] columnIndexes) throws SQLException {
    return open().prepareStatement(sql, columnIndexes);
  }

  @Override
  public PreparedStatement prepareStatement(String sql, String[] columnNames)
      throws SQLException {
    return open().prepareStatement(sql, columnNames);
  }

  @Override
  public Clob createClob() throws SQLException {
    return open().createClob();
  }

  @Override
  public Blob createBlob() throws SQLException {
    return open().createBlob();
  }

  @Override
  public NClob createNClob() throws SQLException {
    return open().createNClob();
  }

  @Override
  public SQLXML createSQLXML() throws SQLException {
    return open().createSQLXML();
  }

  @Override
  public void setClientInfo(String name, String value) throws SQLClientInfoException {
    openForClientInfo().setClientInfo(name, value);
  }

  @Override
  public void setClientInfo(Properties properties) throws SQLClientInfoException {
    openForClientInfo().setClientInfo(properties);
  }

  /** As {@link #open()}, with the exception type that setClientInfo declares. */
  private Connection openForClientInfo() throws SQLClientInfoException {
    if (lease.isReleased()) {
      throw new SQLClientInfoException("connection is closed", CLOSED_STATE,
          Map.<String, ClientInfoStatus>of());
    }
    return delegate;
  }

  @Override
  public String getClientInfo(String name) throws SQLException {
    return open().getClientInfo(name);
  }

  @Override
  public Properties getClientInfo() throws SQLException {
    return open().getClientInfo();
  }

  @Override
  public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
    return open().createArrayOf(typeName, elements);
  }

  @Override
  public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
    return open().createStruct(typeName, attributes);
  }

  @Override
  public void setSchema(String schema) throws SQLException {
    open().setSchema(schema);
  }

  @Override
  public String getSchema() throws SQLException {
    return open().getSchema();
  }

  @Override
  public void setNetworkTimeout(Executor executor, int milliseconds) throws SQLException {
    open().setNetworkTimeout(executor, milliseconds);
  }

  @Override
  public int getNetworkTimeout() throws SQLException {
    return open().getNetworkTimeout();
  }

  @Override
  public void beginRequest() throws SQLException {
    open().beginRequest();
  }

  @Override
  public void endRequest() throws SQLException {
    open().endRequest();
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey shardingKey, ShardingKey superShardingKey,
      int timeout) throws SQLException {
    return open().setShardingKeyIfValid(shardingKey, superShardingKey, timeout);
  }

  @Override
  public boolean setShardingKeyIfValid(ShardingKey shardingKey, int timeout)
      throws SQLException {
    return open().setShardingKeyIfValid(shardingKey, timeout);
  }

  @Override
  public void setShardingKey(ShardingKey shardingKey, ShardingKey superShardingKey)
      throws SQLException {
    open().setShardingKey(shardingKey, superShardingKey);
  }

  @Override
  public void setShardingKey(ShardingKey shardingKey) throws SQLException {
    open().setShardingKey(shardingKey);
  }

  @Override
  public String toString() {
    return "GuardedConnection[" + delegate + (lease.isReleased() ? ", closed" : "") + "]";
  }
}
