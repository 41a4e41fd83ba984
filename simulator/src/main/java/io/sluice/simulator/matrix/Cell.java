package io.sluice.simulator.matrix;

import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.ServiceTime;
import io.sluice.simulator.Simulation;
import io.sluice.simulator.SimulationResult;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * One workload of the control matrix: a backend (workers, service-time distribution), offered load
 * as a multiple of capacity, the client's latency objective and timeout, a timeline of events, and
 * the targets a limiter is held to on it. Immutable.
 *
 * @param name a short, unique label, e.g. {@code "lognormal 1.5, 2x"}
 * @param group the axis the cell varies from the base cell
 * @param workers the backend's workers
 * @param service the service-time distribution
 * @param load offered load at time zero as a multiple of capacity
 * @param duration the length of the run, warm-up included
 * @param warmup the start of the run left out of the totals
 * @param events the cell's timeline (rate changes, stalls, capacity changes, retrying clients)
 * @param checks the targets that apply to the cell
 * @param objective the latency objective: completions within it are goodput
 * @param tailQuantile the latency quantile the targets compare (0.99; see {@link #withTail})
 */
record Cell(String name, String group, int workers, ServiceTime service, double load,
    Duration duration, Duration warmup, UnaryOperator<Simulation.Builder> events,
    List<Check> checks, Duration objective, double tailQuantile) {

  /** The default objective and the timeout, as multiples of the mean service time. */
  static final double OBJECTIVE_MEANS = 15;
  static final double TIMEOUT_MEANS = 100;

  /** A cell with the default objective, 15 mean service times. */
  Cell(String name, String group, int workers, ServiceTime service, double load,
      Duration duration, Duration warmup, UnaryOperator<Simulation.Builder> events,
      List<Check> checks) {
    this(name, group, workers, service, load, duration, warmup, events, checks,
        Duration.ofNanos((long) (OBJECTIVE_MEANS * service.meanNanos())), 0.99);
  }

  /** Returns this cell with another name and latency objective. */
  Cell withObjective(String newName, Duration newObjective) {
    return new Cell(newName, group, workers, service, load, duration, warmup, events, checks,
        newObjective, tailQuantile);
  }

  /**
   * Returns this cell judged at another tail quantile: where 1% of requests are far longer than
   * the rest, the p99 falls on the boundary between the two and jumps between neighbouring fixed
   * limits (240 to 430 ms), so such cells compare the p98, the tail of the common requests.
   */
  Cell withTail(double quantile) {
    return new Cell(name, group, workers, service, load, duration, warmup, events, checks,
        objective, quantile);
  }

  /** Returns the run's latency at the cell's tail quantile, in nanoseconds. */
  long tail(SimulationResult run) {
    return run.latencyNanos(tailQuantile);
  }

  /** Returns the backend's capacity in requests per second. */
  double capacity() {
    return workers * 1e9 / service.meanNanos();
  }

  /** Returns the simulation of this cell guarded by {@code limiter}, seeded with {@code seed}. */
  Simulation simulation(LimiterFactory limiter, long seed) {
    double mean = service.meanNanos();
    Simulation.Builder b = Simulation.newBuilder()
        .workers(workers)
        .serviceTime(service)
        .arrivalRate(capacity() * load)
        .latencyObjective(objective)
        .timeout(Duration.ofNanos((long) (TIMEOUT_MEANS * mean)))
        .duration(duration)
        .warmup(warmup)
        .seed(seed)
        .retryAfterFloor(RetryAfterVerdict.FLOOR)
        .limiter(limiter);
    return events.apply(b).build();
  }

  /**
   * Returns the service time at quantile {@code q} of the initial distribution, in nanoseconds,
   * from 20,001 draws of a fixed seed (deterministic).
   */
  double serviceQuantile(double q) {
    SplittableRandom random = new SplittableRandom(7);
    long[] draws = new long[20_001];
    for (int i = 0; i < draws.length; i++) {
      draws[i] = service.sampleNanos(random);
    }
    Arrays.sort(draws);
    return draws[(int) Math.round(q * (draws.length - 1))];
  }

  /**
   * Returns the service time's mean over its median: 1.13 for a log-normal of sigma 0.5, 3.1 for
   * sigma 1.5, 3.3 when 2% of requests take 100x longer. The heavier the tail, the deeper the
   * queue a resource needs to stay busy.
   */
  double dispersion() {
    return service.meanNanos() / serviceQuantile(0.5);
  }

  /** Returns whether any of the cell's checks is of {@code kind}. */
  boolean has(Check.Kind kind) {
    return checks.stream().anyMatch(c -> c.kind() == kind);
  }
}
