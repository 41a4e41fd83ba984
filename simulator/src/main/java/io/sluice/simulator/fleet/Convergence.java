package io.sluice.simulator.fleet;

import io.sluice.simulator.SimulationResult.LimitPoint;
import java.util.Arrays;

/*
 * Whether the replicas' limits converge, read from their trajectories (the limit after every
 * window) over [from, to).
 *
 * Settling is judged on each replica's time-weighted mean limit per second, so that the sawtooth of
 * 100 ms windows does not count as a failure to converge. A replica's settled value is the median
 * of its per-second limits over the second half of the interval. It has settled from the first
 * second after which at least 90% of its seconds lie within 25% of that value (at least 1 either
 * side, for small limits): a baseline re-measurement may leave the band briefly. The fleet has
 * settled when its last replica has. Oscillation is measured on the windows themselves once
 * settled: the p90 of a replica's window limits minus their p10, over its settled value. Spread is
 * how far the replicas' settled values lie apart: the largest minus the smallest, over their mean.
 */
/** How the replicas' limits converged over an interval; immutable. */
final class Convergence {
  private static final long SECOND = 1_000_000_000L;
  private static final double BAND = 0.25;
  private static final double FRACTION = 0.9;

  /** Each replica's settled value. */
  final double[] settled;
  /** Each replica's settling time in seconds from {@code from}; NaN if it never settled. */
  final double[] settleSeconds;
  /** Each replica's oscillation once settled, as a fraction of its settled value. */
  final double[] oscillation;

  private Convergence(double[] settled, double[] settleSeconds, double[] oscillation) {
    this.settled = settled;
    this.settleSeconds = settleSeconds;
    this.oscillation = oscillation;
  }

  /** Reads the convergence of every replica of {@code r} over {@code [fromNanos, toNanos)}. */
  static Convergence of(FleetResult r, long fromNanos, long toNanos) {
    int n = r.replicas;
    int seconds = (int) Math.max(1, (toNanos - fromNanos) / SECOND);
    double[] settled = new double[n];
    double[] settle = new double[n];
    double[] oscillation = new double[n];
    for (int i = 0; i < n; i++) {
      double[] perSecond = new double[seconds];
      for (int t = 0; t < seconds; t++) {
        long at = fromNanos + t * SECOND;
        perSecond[t] = r.meanLimit(i, at, Math.min(toNanos, at + SECOND));
      }
      settled[i] = median(Arrays.copyOfRange(perSecond, seconds / 2, seconds));
      double margin = Math.max(1, BAND * settled[i]);
      int inBand = 0;
      int at = -1;
      for (int t = seconds - 1; t >= 0; t--) {
        if (Math.abs(perSecond[t] - settled[i]) <= margin) {
          inBand++;
          if (inBand >= FRACTION * (seconds - t)) {
            at = t;
          }
        }
      }
      settle[i] = at < 0 ? Double.NaN : at;
      long settledFrom = fromNanos + Math.max(0, at) * SECOND;
      double[] windows = r.limits(i).stream()
          .filter(p -> p.nanos() >= settledFrom && p.nanos() < toNanos)
          .mapToDouble(LimitPoint::limit).sorted().toArray();
      oscillation[i] = windows.length == 0 ? 0
          : (quantile(windows, 0.9) - quantile(windows, 0.1)) / settled[i];
    }
    return new Convergence(settled, settle, oscillation);
  }

  /** Returns the time the last replica settled, in seconds; NaN if one never did. */
  double fleetSettleSeconds() {
    double worst = 0;
    for (double s : settleSeconds) {
      if (Double.isNaN(s)) {
        return Double.NaN;
      }
      worst = Math.max(worst, s);
    }
    return worst;
  }

  /** Returns the median replica's oscillation. */
  double medianOscillation() {
    return median(oscillation.clone());
  }

  /** Returns the largest oscillation of any replica. */
  double maxOscillation() {
    return Arrays.stream(oscillation).max().orElse(0);
  }

  /** Returns the largest settled value minus the smallest, over their mean. */
  double spread() {
    double low = Double.MAX_VALUE;
    double high = 0;
    double sum = 0;
    for (double s : settled) {
      low = Math.min(low, s);
      high = Math.max(high, s);
      sum += s;
    }
    return (high - low) / (sum / settled.length);
  }

  /** Returns the mean of the replicas' settled values. */
  double meanSettled() {
    return Arrays.stream(settled).average().orElse(0);
  }

  private static double median(double[] values) {
    Arrays.sort(values);
    return quantile(values, 0.5);
  }

  private static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[(int) Math.round(q * (sorted.length - 1))];
  }
}
