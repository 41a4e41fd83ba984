package io.sluice.limit;

import io.sluice.internal.Args;

/**
 * The settings every adaptive algorithm shares: its range and its reaction to drops. Each setter
 * checks its argument; the relations between the limits are checked by {@code build()}.
 *
 * @param <B> the concrete builder, returned by every setter
 */
abstract class AdaptiveBuilder<B extends AdaptiveBuilder<B>> {
  final LimitBounds bounds = new LimitBounds(1, 20, 1000);
  double backoffRatio = 0.9;
  double dropThreshold = 0.0;

  AdaptiveBuilder() {}

  @SuppressWarnings("unchecked")
  final B self() {
    return (B) this;
  }

  /** Sets the smallest limit, in [1, 2^20]; default 1. */
  public B minLimit(int minLimit) {
    bounds.min(minLimit);
    return self();
  }

  /** Sets the limit before the first window, in [minLimit, maxLimit]; default 20. */
  public B initialLimit(int initialLimit) {
    bounds.initial(initialLimit);
    return self();
  }

  /** Sets the largest limit, in [minLimit, 2^20]; default 1000. */
  public B maxLimit(int maxLimit) {
    bounds.max(maxLimit);
    return self();
  }

  /** Sets the factor applied to the limit on congestion, in [0.5, 1); default 0.9. */
  public B backoffRatio(double ratio) {
    this.backoffRatio = Args.inClosedOpen("backoffRatio", ratio, 0.5, 1.0);
    return self();
  }

  /** Sets the drop ratio a window may have without backing off, in [0, 1); default 0 (any drop). */
  public B dropThreshold(double threshold) {
    this.dropThreshold = Args.inClosedOpen("dropThreshold", threshold, 0.0, 1.0);
    return self();
  }
}
