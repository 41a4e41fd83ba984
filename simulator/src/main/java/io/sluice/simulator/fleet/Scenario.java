package io.sluice.simulator.fleet;

import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.ServiceTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * One setup of the fleet study: the replicas, the balancer, an optional shared downstream, offered
 * load as a multiple of the fleet's capacity, the run's length and a timeline of events. Immutable.
 *
 * @param name a short label, unique within its section
 * @param replicas the fleet, in the balancer's order
 * @param balancer how requests are spread
 * @param weighted whether the balancer weights each replica by its capacity
 * @param balancerRetries how many other replicas the balancer tries after a refusal
 * @param downstream the resource every replica calls, or null
 * @param load offered load at time zero as a multiple of {@link #capacity()}
 * @param duration the run's length, warm-up included
 * @param warmup the start of the run left out of the totals
 * @param events changes during the run (rates, slowdowns)
 */
record Scenario(String name, List<Replica> replicas, Balancer balancer, boolean weighted,
    int balancerRetries,
    Downstream downstream, double load, Duration duration, Duration warmup,
    UnaryOperator<FleetSimulation.Builder> events) {

  /** The replicas' own work: log-normal, 10 ms mean, sigma 0.5 (the control matrix's base). */
  static final ServiceTime SERVICE = ServiceTime.logNormal(Duration.ofMillis(10), 0.5);
  /** Workers per replica unless a scenario says otherwise. */
  static final int WORKERS = 8;
  /** The latency objective of goodput: 15 mean service times, as on the control matrix. */
  static final Duration OBJECTIVE = Duration.ofMillis(150);
  /** The client's timeout: 100 mean service times. */
  static final Duration TIMEOUT = Duration.ofSeconds(1);

  /** Copies the replica list. */
  Scenario {
    replicas = Collections.unmodifiableList(new ArrayList<>(replicas));
  }

  /** A fleet of {@code n} equal replicas of {@link #WORKERS} workers of {@link #SERVICE}. */
  static List<Replica> equal(int n) {
    List<Replica> fleet = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fleet.add(Replica.of(WORKERS, SERVICE));
    }
    return fleet;
  }

  /** Returns a scenario of steady load, 30 s long with 10 s of warm-up, without events. */
  static Scenario steady(String name, List<Replica> replicas, Balancer balancer, double load) {
    return new Scenario(name, replicas, balancer, false, 0, null, load, Duration.ofSeconds(30),
        Duration.ofSeconds(10), UnaryOperator.identity());
  }

  /** Returns this scenario with its balancer weighting each replica by its capacity. */
  Scenario weightedByCapacity() {
    return new Scenario(name, replicas, balancer, true, balancerRetries, downstream, load,
        duration, warmup, events);
  }

  /** Returns this scenario with balancer retries. */
  Scenario withRetries(int retries) {
    return new Scenario(name, replicas, balancer, weighted, retries, downstream, load, duration,
        warmup, events);
  }

  /** Returns this scenario with a shared downstream. */
  Scenario with(Downstream d) {
    return new Scenario(name, replicas, balancer, weighted, balancerRetries, d, load, duration,
        warmup, events);
  }

  /** Returns this scenario with another length, warm-up and events. */
  Scenario timed(Duration newDuration, Duration newWarmup,
      UnaryOperator<FleetSimulation.Builder> newEvents) {
    return new Scenario(name, replicas, balancer, weighted, balancerRetries, downstream, load,
        newDuration, newWarmup, newEvents);
  }

  /** Returns replica {@code i}'s capacity in requests per second, its downstream call included. */
  double capacity(int i) {
    Replica r = replicas.get(i);
    double perRequest = r.meanNanos() + (downstream == null ? 0 : downstream.service().meanNanos());
    return r.workers() * 1e9 / perRequest;
  }

  /**
   * Returns the fleet's capacity in requests per second at time zero: the replicas' summed, or
   * the downstream's if it serves less.
   */
  double capacity() {
    double sum = 0;
    for (int i = 0; i < replicas.size(); i++) {
      sum += capacity(i);
    }
    return downstream == null ? sum : Math.min(sum, downstream.capacity());
  }

  /** Returns the balancer's label, with its weighting. */
  String balancerLabel() {
    return weighted ? balancer.label + ", weighted" : balancer.label;
  }

  /** Returns the offered rate at time zero in requests per second. */
  double rate() {
    return load * capacity();
  }

  /** Returns the simulation of this scenario, each replica's limiter from {@code limiters}. */
  FleetSimulation simulation(IntFunction<LimiterFactory> limiters, long seed) {
    FleetSimulation.Builder b = FleetSimulation.newBuilder()
        .replicas(replicas)
        .balancer(balancer)
        .balancerRetries(balancerRetries)
        .arrivalRate(rate())
        .latencyObjective(OBJECTIVE)
        .timeout(TIMEOUT)
        .duration(duration)
        .warmup(warmup)
        .seed(seed)
        .limiters(limiters);
    if (downstream != null) {
      b.downstream(downstream);
    }
    if (weighted) {
      double[] weights = new double[replicas.size()];
      for (int i = 0; i < weights.length; i++) {
        weights[i] = capacity(i);
      }
      b.weights(weights);
    }
    return events.apply(b).build();
  }
}
