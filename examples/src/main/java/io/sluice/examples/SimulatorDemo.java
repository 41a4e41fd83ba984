package io.sluice.examples;

import io.sluice.Limiter;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.simulator.Simulation;
import io.sluice.simulator.SimulationResult;
import io.sluice.simulator.ServiceTime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Overload in virtual time: a backend of 32 workers (log-normal service times, 10 ms mean) under 1x
 * to 10x its capacity, unprotected and guarded by each Sluice algorithm. Prints goodput (completions
 * within a 50 ms objective, as a share of capacity), latency of admitted work and rejections. Runs in
 * a few seconds: nothing sleeps, a minute of traffic is simulated.
 */
public final class SimulatorDemo {
  private static final int WORKERS = 32;
  private static final ServiceTime SERVICE = ServiceTime.logNormal(Duration.ofMillis(10), 0.5);

  private SimulatorDemo() {}

  /** Runs every configuration at every load and prints one line for each. */
  public static void main(String[] args) {
    // Algorithm factories: each simulated limiter builds an algorithm of its own.
    Map<String, Supplier<? extends LimitAlgorithm>> guards = new LinkedHashMap<>();
    guards.put("unprotected", FixedLimit.of(LimitAlgorithm.MAX_SUPPORTED_LIMIT));
    guards.put("aimd", AimdLimit.newBuilder().timeout(Duration.ofMillis(18)));
    guards.put("vegas", VegasLimit.newBuilder());
    guards.put("gradient", GradientLimit.newBuilder());
    double capacity = WORKERS * 1e9 / SERVICE.meanNanos();

    System.out.printf("backend: %d workers, %s, capacity %.0f/s; objective 50 ms, client timeout 1 s%n%n",
        WORKERS, SERVICE, capacity);
    System.out.printf("%-12s %5s %9s %9s %9s %10s %11s%n",
        "guard", "load", "goodput", "p50 ms", "p99 ms", "rejected", "retry p50");
    for (Map.Entry<String, Supplier<? extends LimitAlgorithm>> guard : guards.entrySet()) {
      for (double load : new double[] {1, 2, 5, 10}) {
        SimulationResult r = Simulation.newBuilder()
            .workers(WORKERS)
            .serviceTime(SERVICE)
            .arrivalRate(capacity * load)
            .latencyObjective(Duration.ofMillis(50))
            .timeout(Duration.ofSeconds(1))
            .duration(Duration.ofSeconds(20))
            .limiter((clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener)
                .algorithm(guard.getValue()).build())
            .build()
            .run();
        System.out.printf("%-12s %4.0fx %8.1f%% %9.1f %9.1f %10d %9.0fms%n", guard.getKey(), load,
            100 * r.goodputRatio(), r.latencyNanos(0.5) / 1e6, r.latencyNanos(0.99) / 1e6,
            r.rejected(), r.retryAfterNanos(0.5) / 1e6);
      }
    }
  }
}
