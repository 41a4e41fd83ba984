package io.sluice.simulator.matrix;

import io.sluice.simulator.SimulationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A contender's run on one cell, judged against the cell's oracle: one outcome per check. The
 * margin of an outcome is how far it is from its threshold (above 1: passes with room; below 1:
 * fails by that factor); a verdict's margin is its worst outcome's, which orders the report.
 */
final class Verdict {
  private static final long MINUTE = 60_000_000_000L;

  /** One check's outcome: a label with its figure, whether it passed, and its margin. */
  record Outcome(Check.Kind kind, String figure, boolean pass, double margin) {}

  final Cell cell;
  final Contender contender;
  final SimulationResult run;
  final Oracle oracle;
  final List<Outcome> outcomes = new ArrayList<>();

  private Verdict(Cell cell, Contender contender, SimulationResult run, Oracle oracle) {
    this.cell = cell;
    this.contender = contender;
    this.run = run;
    this.oracle = oracle;
  }

  static Verdict judge(Cell cell, Contender contender, SimulationResult run, Oracle oracle) {
    Verdict v = new Verdict(cell, contender, run, oracle);
    for (Check check : cell.checks()) {
      v.check(check);
    }
    return v;
  }

  private void check(Check c) {
    switch (c.kind()) {
      case NO_HARM -> {
        double unprotected = cell.tail(oracle.unprotected);
        double p99 = cell.tail(run) / unprotected;
        atMost(c.kind(), "rejected", run.rejectionRatio(), 0.001, true);
        atMost(c.kind(), "p99/unprotected", p99, 1.05, false);
      }
      case OVERLOAD -> {
        atLeast(c.kind(), "goodput/oracle", goodputRatio(), 0.97);
        atMost(c.kind(), "p99/oracle", p99Ratio(), 1.3, false);
      }
      case RECOVERS, SETTLES -> {
        double best = oracle.bestGoodputBetween(c.fromNanos(), c.toNanos());
        double got = run.goodputPerSecondBetween(c.fromNanos(), c.toNanos());
        String label = String.format(Locale.ROOT, "goodput %.0f-%.0f s/best fixed",
            c.fromNanos() / 1e9, c.toNanos() / 1e9);
        atLeast(c.kind(), label, best == 0 ? 1 : got / best, 0.95);
      }
      case STEADY_LIMIT -> {
        double low = Double.MAX_VALUE;
        double high = 0;
        int initial = run.limits().isEmpty() ? oracle.limit : run.limits().get(0).limit();
        for (long m = c.fromNanos(); m + MINUTE <= c.toNanos(); m += MINUTE) {
          double ratio = run.meanLimitBetween(m, m + MINUTE, initial) / oracle.limit;
          low = Math.min(low, ratio);
          high = Math.max(high, ratio);
        }
        boolean pass = low >= 0.8 && high <= 1.2;
        double margin = Math.min(low / 0.8, 1.2 / high);
        outcomes.add(new Outcome(c.kind(), String.format(Locale.ROOT,
            "minute limit/oracle %.2f-%.2f", low, high), pass, margin));
      }
      case FEW_SLOW -> atMost(c.kind(), "rejected", run.rejectionRatio(), 0.01, true);
      case NO_COLLAPSE -> atLeast(c.kind(), "goodput/oracle", goodputRatio(), 0.9);
      default -> throw new IllegalStateException(c.kind().toString());
    }
  }

  private void atLeast(Check.Kind kind, String label, double value, double threshold) {
    outcomes.add(new Outcome(kind, String.format(Locale.ROOT, "%s %.3f", label, value),
        value >= threshold, Math.min(10, value / threshold)));
  }

  private void atMost(Check.Kind kind, String label, double value, double threshold,
      boolean percent) {
    String figure = percent
        ? String.format(Locale.ROOT, "%s %.2f%%", label, 100 * value)
        : String.format(Locale.ROOT, "%s %.3f", label, value);
    outcomes.add(new Outcome(kind, figure, value <= threshold,
        value <= 0 ? 10 : Math.min(10, threshold / value)));
  }

  /** Returns goodput over the oracle's. */
  double goodputRatio() {
    double best = oracle.best.goodputPerSecond();
    return best == 0 ? 1 : run.goodputPerSecond() / best;
  }

  /** Returns the p99 of admitted work over the oracle's. */
  double p99Ratio() {
    return (double) cell.tail(run) / cell.tail(oracle.best);
  }

  /** Returns the worst margin of the outcomes (10 with none). */
  double margin() {
    return outcomes.stream().mapToDouble(Outcome::margin).min().orElse(10);
  }

  /** Returns whether every outcome passed. */
  boolean passed() {
    return outcomes.stream().allMatch(Outcome::pass);
  }

  /** Returns the outcomes that failed, or the worst one when all passed, as text. */
  String worst() {
    List<String> failed = outcomes.stream().filter(o -> !o.pass()).map(Outcome::figure).toList();
    if (!failed.isEmpty()) {
      return String.join("; ", failed);
    }
    return outcomes.stream().min((a, b) -> Double.compare(a.margin(), b.margin()))
        .map(Outcome::figure).orElse("");
  }

  /** Returns the time-weighted mean limit over the measured period. */
  double meanLimit() {
    long from = cell.warmup().toNanos();
    long to = cell.duration().toNanos();
    int initial = run.limits().isEmpty() ? 0 : run.limits().get(0).limit();
    return run.meanLimitBetween(from, to, initial);
  }
}
