package io.sluice.simulator.matrix;

import io.sluice.Limiter;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.simulator.LimiterFactory;
import io.sluice.simulator.SimulationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/*
 * The oracle of a cell: the best fixed limit, found by sweeping fixed limits on the same cell with
 * the same seed (so every contender meets the same arrivals and service times).
 *
 * The sweep runs coarse multiples of the worker count (0.5x to 8x, and no limit at all), then the
 * limits between the neighbours of the best coarse point, and between the neighbours of the
 * oracle so found, each in at most six steps. "Best" is the
 * highest goodput; among the limits within 0.5% of it, the one with the lowest p99 (a few more
 * permits than workers keep every worker busy; beyond that a larger limit only adds queueing).
 * Interval targets (recovery after an event) compare with the best any swept limit did over that
 * interval, which is at least what the oracle did.
 */
final class Oracle {
  static final int UNLIMITED = LimitAlgorithm.MAX_SUPPORTED_LIMIT;
  private static final double[] COARSE = {0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4, 8};
  private static final double GOODPUT_TOLERANCE = 0.005;

  final int limit;
  final SimulationResult best;
  final SimulationResult unprotected;
  private final TreeMap<Integer, SimulationResult> sweep;

  private Oracle(Cell cell, TreeMap<Integer, SimulationResult> sweep) {
    this.sweep = sweep;
    this.unprotected = sweep.get(UNLIMITED);
    int chosen = bestGoodputLimit();
    double top = sweep.get(chosen).goodputPerSecond();
    for (var e : sweep.entrySet()) {
      SimulationResult r = e.getValue();
      if (r.goodputPerSecond() >= (1 - GOODPUT_TOLERANCE) * top
          && cell.tail(r) < cell.tail(sweep.get(chosen))) {
        chosen = e.getKey();
      }
    }
    this.limit = chosen;
    this.best = sweep.get(chosen);
  }

  /** Sweeps fixed limits on {@code cell}; the coarse pass alone when {@code refine} is false. */
  static Oracle sweep(Cell cell, long seed, boolean refine) {
    TreeMap<Integer, SimulationResult> results = new TreeMap<>();
    results.put(UNLIMITED, cell.simulation(fixed(UNLIMITED), seed).run());
    for (double f : COARSE) {
      int limit = Math.max(1, (int) Math.round(f * cell.workers()));
      results.computeIfAbsent(limit, l -> cell.simulation(fixed(l), seed).run());
    }
    if (refine) {
      int best = new Oracle(cell, results).bestGoodputLimit();
      refineAround(cell, seed, results, best);
      refineAround(cell, seed, results, new Oracle(cell, results).limit);
    }
    return new Oracle(cell, results);
  }

  /** Sweeps, in at most six steps, the limits between the swept neighbours of {@code limit}. */
  private static void refineAround(Cell cell, long seed, TreeMap<Integer, SimulationResult> results,
      int limit) {
    Integer below = results.lowerKey(limit);
    Integer above = results.higherKey(limit);
    int low = below == null ? limit : below;
    int high = Math.min(above == null ? limit : above, 16 * cell.workers());
    int step = Math.max(1, (high - low) / 6);
    for (int l = low + step; l < high; l += step) {
      results.computeIfAbsent(l, x -> cell.simulation(fixed(x), seed).run());
    }
  }

  private int bestGoodputLimit() {
    int best = UNLIMITED;
    for (var e : sweep.entrySet()) {
      if (e.getValue().goodputPerSecond() > sweep.get(best).goodputPerSecond()) {
        best = e.getKey();
      }
    }
    return best;
  }

  /** Returns the best goodput per second any swept limit reached over {@code [from, to)}. */
  double bestGoodputBetween(long fromNanos, long toNanos) {
    double top = 0;
    for (SimulationResult r : sweep.values()) {
      top = Math.max(top, r.goodputPerSecondBetween(fromNanos, toNanos));
    }
    return top;
  }

  /** Returns the number of fixed limits swept. */
  int size() {
    return sweep.size();
  }

  static LimiterFactory fixed(int limit) {
    return (clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener)
        .algorithm(FixedLimit.of(limit)).retryAfterJitter(0).build();
  }
}
