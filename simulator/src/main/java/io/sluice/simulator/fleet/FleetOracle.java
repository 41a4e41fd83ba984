package io.sluice.simulator.fleet;

import io.sluice.Limiter;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.simulator.LimiterFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/*
 * The oracle of a fleet scenario: the best fixed per-replica limits, found by sweeping fixed limits
 * on the same scenario with the same seed, so that the adaptive run meets the same arrivals and
 * service times.
 *
 * Proportional rule first: every replica gets k times its workers (Little's law: a replica of c
 * workers serves about c requests at once, whatever its speed), k from 0.5 to 4 and then, when
 * refining, in six steps between the neighbours of the best k. For a fleet of unequal replicas one
 * pass per class of replicas (replicas with the same workers, service time and speed) follows:
 * that class's k is swept alone, the others held at the best found so far. "Best" is the highest
 * fleet goodput; among the runs within 0.5% of it, the lowest fleet p99, as on the control matrix.
 */
final class FleetOracle {
  static final int UNLIMITED = LimitAlgorithm.MAX_SUPPORTED_LIMIT;
  private static final double[] COARSE = {0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4};
  private static final double[] REDUCED = {0.75, 1, 1.25, 1.5, 2};
  private static final double GOODPUT_TOLERANCE = 0.005;

  /** The best fixed limit of each replica. */
  final int[] limits;
  /** The run with those limits. */
  final FleetResult best;
  /** The run without any limit. */
  final FleetResult unprotected;
  /** How many fixed-limit runs the sweep took. */
  final int runs;
  /** Whether the per-class pass ran (the fleet has replicas of more than one class). */
  final boolean perClass;
  private final List<FleetResult> all;

  private FleetOracle(int[] limits, FleetResult best, FleetResult unprotected,
      List<FleetResult> all, boolean perClass) {
    this.limits = limits;
    this.best = best;
    this.unprotected = unprotected;
    this.all = all;
    this.runs = all.size();
    this.perClass = perClass;
  }

  /** Returns the best goodput per second any swept limits reached over {@code [from, to)}. */
  double bestGoodputBetween(long fromNanos, long toNanos) {
    double top = 0;
    for (FleetResult r : all) {
      top = Math.max(top, r.goodputPerSecondBetween(fromNanos, toNanos));
    }
    return top;
  }

  /** Sweeps {@code s}; the coarse proportional pass alone when {@code refine} is false. */
  static FleetOracle sweep(Scenario s, long seed, boolean refine) {
    Sweep sweep = new Sweep(s, seed);
    int[] none = new int[s.replicas().size()];
    Arrays.fill(none, UNLIMITED);
    FleetResult unprotected = sweep.run(none);
    double[] ks = refine ? COARSE : REDUCED;
    double topK = ks[0];
    for (double k : ks) {
      FleetResult r = sweep.run(sweep.proportional(k, null, 0));
      if (r.goodputPerSecond() > sweep.run(sweep.proportional(topK, null, 0)).goodputPerSecond()) {
        topK = k;
      }
    }
    if (refine) {
      for (double k : between(ks, topK)) {
        sweep.run(sweep.proportional(k, null, 0));
      }
    }
    int classCount = Arrays.stream(sweep.classes).max().orElse(0) + 1;
    boolean perClass = refine && classCount > 1;
    if (perClass) {
      for (int c = 0; c < classCount; c++) {
        int[] base = sweep.chosen();
        for (double k : COARSE) {
          sweep.run(sweep.proportional(k, base, c));
        }
      }
    }
    int[] best = sweep.chosen();
    return new FleetOracle(best, sweep.run(best), unprotected, List.copyOf(sweep.runs.values()),
        perClass);
  }

  /** Six steps strictly between the swept neighbours of {@code k}. */
  private static List<Double> between(double[] ks, double k) {
    double low = k;
    double high = k;
    for (double x : ks) {
      if (x < k) {
        low = x;
      }
      if (x > k && high == k) {
        high = x;
      }
    }
    List<Double> steps = new ArrayList<>();
    for (int i = 1; i < 6; i++) {
      double x = low + (high - low) * i / 6;
      if (x != k) {
        steps.add(x);
      }
    }
    return steps;
  }

  /** Numbers each replica by its class: equal {@link Replica} specs share a class. */
  static int[] classes(Scenario s) {
    List<Replica> seen = new ArrayList<>();
    int[] classes = new int[s.replicas().size()];
    for (int i = 0; i < classes.length; i++) {
      Replica r = s.replicas().get(i);
      int c = seen.indexOf(r);
      if (c < 0) {
        seen.add(r);
        c = seen.size() - 1;
      }
      classes[i] = c;
    }
    return classes;
  }

  /** Returns a factory of limiters fixed at {@code limit}. */
  static LimiterFactory fixed(int limit) {
    return (clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener)
        .algorithm(FixedLimit.of(limit)).build();
  }

  /** Returns the limits as text: one value, or the distinct values by class. */
  String describe(Scenario s) {
    int[] classes = classes(s);
    Map<Integer, Integer> byClass = new LinkedHashMap<>();
    for (int i = 0; i < limits.length; i++) {
      byClass.putIfAbsent(classes[i], limits[i]);
    }
    List<String> parts = new ArrayList<>();
    byClass.values().forEach(l -> parts.add(l == UNLIMITED ? "none" : String.valueOf(l)));
    return String.join(" / ", parts);
  }

  /** The runs of one sweep, by their limits. */
  private static final class Sweep {
    final Scenario scenario;
    final long seed;
    final int[] classes;
    final Map<String, FleetResult> runs = new LinkedHashMap<>();
    final Map<String, int[]> limitsByKey = new LinkedHashMap<>();

    Sweep(Scenario scenario, long seed) {
      this.scenario = scenario;
      this.seed = seed;
      this.classes = classes(scenario);
    }

    /**
     * Returns k times each replica's workers; with {@code base}, for class {@code c} only, the
     * others as in base.
     */
    int[] proportional(double k, int[] base, int c) {
      int[] limits = new int[classes.length];
      for (int i = 0; i < limits.length; i++) {
        limits[i] = base != null && classes[i] != c
            ? base[i]
            : Math.max(1, (int) Math.round(k * scenario.replicas().get(i).workers()));
      }
      return limits;
    }

    FleetResult run(int[] limits) {
      String key = Arrays.toString(limits);
      limitsByKey.putIfAbsent(key, limits);
      return runs.computeIfAbsent(key,
          k -> scenario.simulation(i -> fixed(limits[i]), seed).run());
    }

    /**
     * Returns the limits chosen so far: of the runs within 0.5% of the highest goodput, the one
     * with the lowest p99.
     */
    int[] chosen() {
      double top = 0;
      for (FleetResult r : runs.values()) {
        top = Math.max(top, r.goodputPerSecond());
      }
      int[] chosen = null;
      long lowest = Long.MAX_VALUE;
      for (Map.Entry<String, int[]> e : limitsByKey.entrySet()) {
        FleetResult r = runs.get(e.getKey());
        if (r.goodputPerSecond() >= (1 - GOODPUT_TOLERANCE) * top
            && r.latencyNanos(0.99) < lowest) {
          lowest = r.latencyNanos(0.99);
          chosen = e.getValue();
        }
      }
      return chosen;
    }
  }
}
