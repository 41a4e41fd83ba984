package io.sluice.limit;

/**
 * What every adaptive algorithm shares: its bounds and its reaction to drops. Single-writer, like
 * every {@link LimitAlgorithm}.
 */
abstract class AdaptiveLimit implements LimitAlgorithm {
  final LimitBounds bounds;
  final double backoffRatio;
  final double dropThreshold;

  AdaptiveLimit(AdaptiveBuilder<?> builder) {
    this.bounds = new LimitBounds(builder.bounds.min, builder.bounds.initial, builder.bounds.max);
    this.backoffRatio = builder.backoffRatio;
    this.dropThreshold = builder.dropThreshold;
  }

  @Override
  public final int initialLimit() {
    return bounds.initial;
  }

  @Override
  public final int minLimit() {
    return bounds.min;
  }

  @Override
  public final int maxLimit() {
    return bounds.max;
  }

  /** Whether the window dropped more than the threshold allows. */
  final boolean dropped(WindowStats window) {
    return window.drops() > 0 && window.dropRatio() > dropThreshold;
  }
}
