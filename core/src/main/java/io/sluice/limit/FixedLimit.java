package io.sluice.limit;

import io.sluice.internal.Args;
import java.util.function.Supplier;

/**
 * A limit that never moves: for resources whose capacity is known and stable, and as the baseline
 * the adaptive algorithms are measured against. Immutable and stateless, so unlike the adaptive
 * algorithms an instance may be shared: it is its own factory ({@link #get()} returns it), and
 * {@code Limiter.newBuilder().algorithm(FixedLimit.of(20))} reads as it should. Thread-safe.
 */
public final class FixedLimit implements LimitAlgorithm, Supplier<FixedLimit> {
  private final int limit;

  private FixedLimit(int limit) {
    this.limit = limit;
  }

  /**
   * Returns a fixed limit.
   *
   * @param limit in [1, {@link LimitAlgorithm#MAX_SUPPORTED_LIMIT}]
   */
  public static FixedLimit of(int limit) {
    return new FixedLimit(Args.inRange("limit", limit, 1, MAX_SUPPORTED_LIMIT));
  }

  /** Returns this limit: immutable, it may serve every limiter that asks. */
  @Override
  public FixedLimit get() {
    return this;
  }

  @Override
  public int initialLimit() {
    return limit;
  }

  @Override
  public int minLimit() {
    return limit;
  }

  @Override
  public int maxLimit() {
    return limit;
  }

  @Override
  public int update(WindowStats window) {
    return limit;
  }

  @Override
  public String toString() {
    return "FixedLimit[" + limit + "]";
  }
}
