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
 * ({@code Limiter.newBuilder().algorithm(X.newBuilder())}).
 */
enum Contender {
  AIMD("AimdLimit", AimdLimit.newBuilder()),
  VEGAS("VegasLimit", VegasLimit.newBuilder()),
  GRADIENT("GradientLimit", GradientLimit.newBuilder());

  final String label;
  /** A factory of fresh algorithms with the defaults; never configured further. */
  private final Supplier<? extends LimitAlgorithm> algorithm;

  Contender(String label, Supplier<? extends LimitAlgorithm> algorithm) {
    this.label = label;
    this.algorithm = algorithm;
  }

  /**
   * Returns a factory of fresh limiters with this contender's algorithm and no Retry-After
   * jitter: the matrix judges the hint before jitter on the tickets clients receive, and only
   * then is a run deterministic by seed (a limiter draws its jitter from a thread-local
   * generator). Nothing else of the limiter depends on its jitter, short of hints beyond 40 s;
   * clients that honour the hint add a seeded jitter of their own.
   */
  LimiterFactory factory() {
    return (clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener)
        .algorithm(algorithm).retryAfterJitter(0).build();
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
   * it does not, the matrix still reports its figures. The rules restate the "limits of the
   * design" paragraph of each algorithm's Javadoc.
   */
  boolean serves(Cell cell) {
    return switch (this) {
      // Vegas's Javadoc rules out no cell.
      case VEGAS -> true;
      // Latency-holding algorithms keep too shallow a queue for heavy tails and few workers.
      case GRADIENT, AIMD -> cell.workers() >= 8 && cell.dispersion() < 2;
    };
  }
}
