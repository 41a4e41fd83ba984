package io.sluice.simulator;

import io.sluice.Limiter;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The backend the simulation tests share: 32 workers, log-normal service times with a 10 ms mean
 * (sigma 0.5: median 8.8 ms, p99 about 28 ms), a 50 ms latency objective and a 100 ms client
 * timeout. Capacity is 3200 requests per second.
 */
final class Scenarios {
  static final int WORKERS = 32;
  static final ServiceTime SERVICE = ServiceTime.logNormal(Duration.ofMillis(10), 0.5);
  static final double CAPACITY = WORKERS * 1e9 / SERVICE.meanNanos();
  static final Duration OBJECTIVE = Duration.ofMillis(50);
  static final Duration TIMEOUT = Duration.ofMillis(100);

  private Scenarios() {}

  /**
   * The algorithms under test, each with its defaults. AIMD alone needs to be told a latency
   * objective: it holds its p90 at the timeout, here 18 ms, a little above the backend's no-load
   * p90 of 16.8 ms.
   */
  enum Algorithm {
    AIMD(() -> AimdLimit.newBuilder().timeout(Duration.ofMillis(18)).build()),
    VEGAS(() -> VegasLimit.newBuilder().build()),
    GRADIENT(() -> GradientLimit.newBuilder().build());

    final Supplier<LimitAlgorithm> supplier;

    Algorithm(Supplier<LimitAlgorithm> supplier) {
      this.supplier = supplier;
    }

    LimiterFactory factory() {
      return Scenarios.factory(supplier);
    }
  }

  static LimiterFactory factory(Supplier<? extends LimitAlgorithm> algorithm) {
    return (clock, listener) ->
        Limiter.newBuilder().clock(clock).listener(listener).algorithm(algorithm)
            .retryAfterJitter(0).build();
  }

  static LimiterFactory fixed(int limit) {
    return factory(() -> FixedLimit.of(limit));
  }

  /** The shared backend at {@code load} times its capacity, guarded by the factory's limiter. */
  static Simulation.Builder backend(LimiterFactory factory, double load) {
    return Simulation.newBuilder()
        .workers(WORKERS)
        .serviceTime(SERVICE)
        .arrivalRate(CAPACITY * load)
        .latencyObjective(OBJECTIVE)
        .timeout(TIMEOUT)
        .limiter(factory);
  }

  /** The backend's own p99 at no load: 10% load, no effective limit. */
  static long noLoadP99Nanos() {
    return backend(fixed(LimitAlgorithm.MAX_SUPPORTED_LIMIT), 0.1).build().run().latencyNanos(0.99);
  }

  /**
   * The optimum limit for {@code workers} at 2x load, from a sweep of fixed limits. Goodput is flat
   * over a range of limits (a few queued requests keep every worker busy; more only add latency), so
   * the optimum is the middle of the good region: the fixed limits whose goodput is within 0.2% of
   * capacity of the best one and whose p99 is within 1.25x the backend's no-load p99.
   */
  static int optimumFixedLimit(int workers, long noLoadP99Nanos) {
    SimulationResult[] results = new SimulationResult[3 * workers];
    double best = 0;
    for (int limit = workers / 2; limit < results.length; limit++) {
      results[limit] = backend(fixed(limit), 2).workers(workers).build().run();
      best = Math.max(best, results[limit].goodputRatio());
    }
    int low = -1;
    int high = -1;
    for (int limit = workers / 2; limit < results.length; limit++) {
      boolean good = results[limit].goodputRatio() >= best - 0.002
          && results[limit].latencyNanos(0.99) <= 1.25 * noLoadP99Nanos;
      if (good) {
        low = low < 0 ? limit : low;
        high = limit;
      }
    }
    return (low + high) / 2;
  }
}
