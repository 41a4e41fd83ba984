package io.sluice.pool;

import io.sluice.internal.Args;
import java.sql.SQLException;

/**
 * An {@link SQLException} from a JDBC call that a {@link PoolAdapter} method cannot declare: a
 * {@link DataSourceAdapter}'s {@code getConnection()} or {@code close()} failed. A
 * {@link PoolGuard} over that adapter throws it from {@code acquire} (having released the permit);
 * {@link GuardedDataSource} throws the {@link SQLException} itself instead.
 *
 * <p>Immutable once thrown.
 */
public final class UncheckedSQLException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Wraps {@code cause}; throws an {@link IllegalArgumentException} if it is null. */
  public UncheckedSQLException(SQLException cause) {
    super(Args.notNull("cause", cause).getMessage(), cause);
  }

  /** Returns the {@link SQLException} wrapped. */
  @Override
  public SQLException getCause() {
    return (SQLException) super.getCause();
  }
}
