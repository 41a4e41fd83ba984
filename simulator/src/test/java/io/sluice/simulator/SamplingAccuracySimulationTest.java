package io.sluice.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.Limiter;
import io.sluice.simulator.Scenarios.Algorithm;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * At high throughput the limiter times one request in 2^k instead of every request, which is what
 * makes its admit round trip cheaper than two clock reads. This shows the limit does not suffer:
 * the same high-throughput backend (2048 workers, 10 ms mean: 204,800 requests per second, about
 * 40,000 completions per window, so the sampling period reaches its maximum of 32), guarded by each
 * algorithm timing every request and timing one in 32, reaches the same goodput, latency and limit.
 */
@Tag("simulation")
class SamplingAccuracySimulationTest {
  private static final int WORKERS = 2048;
  private static final long SECOND = 1_000_000_000L;

  private static SimulationResult run(Algorithm algorithm, int maxSamplingPeriod) {
    return Simulation.newBuilder()
        .workers(WORKERS)
        .serviceTime(Scenarios.SERVICE)
        .arrivalRate(2 * WORKERS * 1e9 / Scenarios.SERVICE.meanNanos())
        .latencyObjective(Scenarios.OBJECTIVE)
        .timeout(Scenarios.TIMEOUT)
        .duration(Duration.ofSeconds(8))
        .warmup(Duration.ofSeconds(4))
        .limiter((clock, listener) -> Limiter.newBuilder()
            .clock(clock).listener(listener)
            .maxSamplingPeriod(maxSamplingPeriod)
            .algorithm(() -> algorithm == Algorithm.AIMD
                ? io.sluice.limit.AimdLimit.newBuilder().timeout(Duration.ofMillis(18))
                    .initialLimit(WORKERS).maxLimit(4 * WORKERS).build()
                : algorithm == Algorithm.VEGAS
                    ? io.sluice.limit.VegasLimit.newBuilder().initialLimit(WORKERS)
                        .maxLimit(4 * WORKERS).build()
                    : io.sluice.limit.GradientLimit.newBuilder().initialLimit(WORKERS)
                        .maxLimit(4 * WORKERS).build())
            .build())
        .build()
        .run();
  }

  @Test
  void samplingOneRequestInThirtyTwoKeepsTheLimitAsAccurateAsTimingEveryRequest() {
    for (Algorithm algorithm : Algorithm.values()) {
      SimulationResult every = run(algorithm, 1);
      SimulationResult sampled = run(algorithm, 32);
      double everyLimit = meanLimit(every);
      double sampledLimit = meanLimit(sampled);
      System.out.printf("%s at 2x of 204800/s: timing every request: goodput %.2f%%, p99 %.2f ms, "
              + "mean limit %.0f; timing 1 in 32: goodput %.2f%%, p99 %.2f ms, mean limit %.0f%n",
          algorithm, 100 * every.goodputRatio(), every.latencyNanos(0.99) / 1e6, everyLimit,
          100 * sampled.goodputRatio(), sampled.latencyNanos(0.99) / 1e6, sampledLimit);
      assertThat(sampled.goodputRatio()).isCloseTo(every.goodputRatio(), within(0.005));
      assertThat((double) sampled.latencyNanos(0.99))
          .isCloseTo(every.latencyNanos(0.99), within(0.05 * every.latencyNanos(0.99)));
      assertThat(sampledLimit).isCloseTo(everyLimit, within(0.05 * everyLimit));
    }
  }

  private static double meanLimit(SimulationResult result) {
    return result.limitsBetween(4 * SECOND, 8 * SECOND).stream()
        .mapToInt(SimulationResult.LimitPoint::limit).average().orElseThrow();
  }
}
