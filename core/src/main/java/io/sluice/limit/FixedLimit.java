package io.sluice.limit;

import io.sluice.internal.Args;

/**
 * A limit that never moves: for resources whose capacity is known and stable, and as the baseline
 * the adaptive algorithms are measured against. Immutable and stateless, so unlike the adaptive
 * algorithms an instance may be shared.
 */
public final class FixedLimit implements LimitAlgorithm {
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
