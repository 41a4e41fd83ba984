package io.sluice.simulator.matrix;

import io.sluice.Limiter;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.simulator.LimiterFactory;
import java.util.function.Supplier;

/**
 * The limiters the matrix judges: each named algorithm with its defaults, as a new user builds it
 * ({@code Limiter.newBuilder().algorithm(X.newBuilder().build())}).
 */
enum Contender {
  AIMD("AimdLimit", () -> AimdLimit.newBuilder().build()),
  VEGAS("VegasLimit", () -> VegasLimit.newBuilder().build()),
  GRADIENT("GradientLimit", () -> GradientLimit.newBuilder().build());

  final String label;
  private final Supplier<LimitAlgorithm> algorithm;

  Contender(String label, Supplier<LimitAlgorithm> algorithm) {
    this.label = label;
    this.algorithm = algorithm;
  }

  /** Returns a factory of fresh limiters with this contender's algorithm. */
  LimiterFactory factory() {
    return (clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener)
        .algorithm(algorithm.get()).build();
  }

  /** Returns the contender whose algorithm {@code Limiter.newBuilder().build()} uses. */
  static Contender ofDefaultLimiter() {
    String limiter = Limiter.newBuilder().build().toString();
    for (Contender c : values()) {
      if (limiter.contains("algorithm=" + c.label + "[")) {
        return c;
      }
    }
    throw new IllegalStateException("no contender matches the default limiter " + limiter);
  }

  /**
   * Whether the contender's Javadoc says it serves the cell: the targets are asserted there. Where
   * it does not, the matrix still reports its figures.
   */
  boolean serves(Cell cell) {
    return true;
  }
}
