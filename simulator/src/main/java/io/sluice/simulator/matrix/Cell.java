package io.sluice.simulator.matrix;

import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.ServiceTime;
import io.sluice.simulator.Simulation;
import java.time.Duration;
import java.util.List;
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
 */
record Cell(String name, String group, int workers, ServiceTime service, double load,
    Duration duration, Duration warmup, UnaryOperator<Simulation.Builder> events,
    List<Check> checks, Duration objective) {

  /** The default objective and the timeout, as multiples of the mean service time. */
  static final double OBJECTIVE_MEANS = 15;
  static final double TIMEOUT_MEANS = 100;

  /** A cell with the default objective, 15 mean service times. */
  Cell(String name, String group, int workers, ServiceTime service, double load,
      Duration duration, Duration warmup, UnaryOperator<Simulation.Builder> events,
      List<Check> checks) {
    this(name, group, workers, service, load, duration, warmup, events, checks,
        Duration.ofNanos((long) (OBJECTIVE_MEANS * service.meanNanos())));
  }

  /** Returns this cell with another name and latency objective. */
  Cell withObjective(String newName, Duration newObjective) {
    return new Cell(newName, group, workers, service, load, duration, warmup, events, checks,
        newObjective);
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
        .limiter(limiter);
    return events.apply(b).build();
  }

  /** Returns whether any of the cell's checks is of {@code kind}. */
  boolean has(Check.Kind kind) {
    return checks.stream().anyMatch(c -> c.kind() == kind);
  }
}
