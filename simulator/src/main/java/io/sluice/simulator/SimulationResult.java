package io.sluice.simulator;

import java.util.Collections;
import java.util.List;

/**
 * What a {@link Simulation} measured over its measurement period (the run after warm-up): counts,
 * goodput, latency percentiles of admitted work, Retry-After hints and their measured truth, and
 * the limit after every window of the whole run; goodput, arrivals and rejections also per 100 ms
 * of the whole run, to judge how fast a limiter recovers from an event. Immutable.
 */
public final class SimulationResult {

  /** The limit the limiter set when a window closed, at virtual time {@code nanos}. */
  public record LimitPoint(long nanos, int limit) {}

  private final Measurements m;
  private final List<LimitPoint> limits;

  SimulationResult(Measurements measurements, List<LimitPoint> limits) {
    this.m = measurements;
    this.limits = Collections.unmodifiableList(limits);
  }

  /** Returns requests that arrived during the measurement period, retries included. */
  public long arrivals() {
    return m.arrivals;
  }

  /** Returns the arrivals of the measurement period that were clients' retries. */
  public long retries() {
    return m.retries;
  }

  /** Returns requests admitted by the limiter during the measurement period. */
  public long admitted() {
    return m.admitted;
  }

  /** Returns requests the limiter rejected during the measurement period. */
  public long rejected() {
    return m.rejected;
  }

  /** Returns the share of the period's arrivals that the limiter rejected; 0 without arrivals. */
  public double rejectionRatio() {
    return m.arrivals == 0 ? 0.0 : (double) m.rejected / m.arrivals;
  }

  /** Returns admitted requests that completed during the measurement period. */
  public long completed() {
    return m.completed;
  }

  /** Returns completions within the latency objective during the measurement period. */
  public long good() {
    return m.good;
  }

  /** Returns completions after the client's timeout (released as DROPPED). */
  public long dropped() {
    return m.dropped;
  }

  /** Returns completions within the latency objective per second. */
  public double goodputPerSecond() {
    return m.good * 1e9 / (m.durationNanos - m.warmupNanos);
  }

  /** Returns the backend's capacity (workers / mean service time) averaged over the period. */
  public double capacityPerSecond() {
    return m.capacityPerSecond;
  }

  /** Returns goodput as a fraction of capacity. */
  public double goodputRatio() {
    return goodputPerSecond() / m.capacityPerSecond;
  }

  /**
   * Returns completions within the objective per second over {@code [fromNanos, toNanos)} of the
   * whole run (warm-up included), to the 100 ms resolution of {@link Simulation#BUCKET_NANOS}.
   */
  public double goodputPerSecondBetween(long fromNanos, long toNanos) {
    return perSecond(m.goodPerBucket, fromNanos, toNanos);
  }

  /** Returns arrivals per second over {@code [fromNanos, toNanos)}, to 100 ms resolution. */
  public double arrivalsPerSecondBetween(long fromNanos, long toNanos) {
    return perSecond(m.arrivalsPerBucket, fromNanos, toNanos);
  }

  /** Returns the share of arrivals rejected over {@code [fromNanos, toNanos)}; 0 without any. */
  public double rejectionRatioBetween(long fromNanos, long toNanos) {
    double arrivals = perSecond(m.arrivalsPerBucket, fromNanos, toNanos);
    return arrivals == 0 ? 0.0 : perSecond(m.rejectionsPerBucket, fromNanos, toNanos) / arrivals;
  }

  private double perSecond(long[] buckets, long fromNanos, long toNanos) {
    int from = (int) Math.max(0, fromNanos / Simulation.BUCKET_NANOS);
    int to = (int) Math.min(buckets.length, Math.max(from, toNanos / Simulation.BUCKET_NANOS));
    if (to <= from) {
      return 0.0;
    }
    long sum = 0;
    for (int i = from; i < to; i++) {
      sum += buckets[i];
    }
    return sum * 1e9 / ((to - from) * Simulation.BUCKET_NANOS);
  }

  /** Returns the latency (arrival to completion) of admitted work at quantile {@code q}, in ns. */
  public long latencyNanos(double q) {
    return m.latency.getTotalCount() == 0 ? 0 : m.latency.getValueAtPercentile(q * 100.0);
  }

  /**
   * Returns the Retry-After hint of rejections at quantile {@code q}, in ns; 0 with no rejections.
   * Hints are recorded as refused clients receive them: the value on the refusal's ticket
   * (jitter included, unless the limiter is built with {@code retryAfterJitter(0)}); they may
   * differ a little from run to run (see {@link Simulation}).
   */
  public long retryAfterNanos(double q) {
    return m.retryAfter.getTotalCount() == 0 ? 0 : m.retryAfter.getValueAtPercentile(q * 100.0);
  }

  /**
   * Returns the measured truth behind the hints at quantile {@code q}, in ns: for each refusal, the
   * time until a request arriving then would have been admitted (in-flight work below the limit);
   * 0 with no refusals.
   */
  public long retryAfterTruthNanos(double q) {
    return m.retryAfterTruth.getTotalCount() == 0
        ? 0 : m.retryAfterTruth.getValueAtPercentile(q * 100.0);
  }

  /**
   * Returns the ratio of each refusal's hint (as on its ticket) to its measured truth at quantile
   * {@code q}: 1 is exact, above 1 tells clients to wait longer than needed; NaN with no refusals.
   */
  public double retryAfterRatio(double q) {
    return m.retryAfterRatio.getTotalCount() == 0
        ? Double.NaN : m.retryAfterRatio.getValueAtPercentile(q * 100.0) / 1000.0;
  }

  /**
   * Returns the reference a hint is judged against at quantile {@code q}, in ns: for each refusal,
   * the largest of its truth, the median round-trip time of the successes of the last whole
   * second before it and the floor ({@link Simulation.Builder#retryAfterFloor}); 0 with no
   * refusals.
   */
  public long retryAfterReferenceNanos(double q) {
    return m.retryAfterReference.getTotalCount() == 0
        ? 0 : m.retryAfterReference.getValueAtPercentile(q * 100.0);
  }

  /**
   * Returns the ratio of each refusal's hint (as on its ticket) to its reference at quantile
   * {@code q}; NaN with no refusals.
   */
  public double retryAfterReferenceRatio(double q) {
    return m.retryAfterReferenceRatio.getTotalCount() == 0
        ? Double.NaN : m.retryAfterReferenceRatio.getValueAtPercentile(q * 100.0) / 1000.0;
  }

  /**
   * Returns the ratio of each refusal's hint (as on its ticket) to the median round-trip time of
   * the last whole second before it (raised to the floor), at quantile {@code q}: below 1, the
   * hint was shorter than the work takes; NaN with no refusal after the first second of
   * completions.
   */
  public double retryAfterMedianRatio(double q) {
    return m.retryAfterMedianRatio.getTotalCount() == 0
        ? Double.NaN : m.retryAfterMedianRatio.getValueAtPercentile(q * 100.0) / 1000.0;
  }

  /** Returns the refusals whose truth is measured: the limiter had room again before the end. */
  public long retryAfterSamples() {
    return m.retryAfterTruth.getTotalCount();
  }

  /** Returns the limit after every window of the whole run, warm-up included, in time order. */
  public List<LimitPoint> limits() {
    return limits;
  }

  /** Returns the limits set by windows that closed in {@code [fromNanos, toNanos)}. */
  public List<LimitPoint> limitsBetween(long fromNanos, long toNanos) {
    return limits.stream().filter(p -> p.nanos() >= fromNanos && p.nanos() < toNanos).toList();
  }

  /**
   * Returns the time-weighted mean limit over {@code [fromNanos, toNanos)}: each window's limit
   * counts for as long as it was in force; {@code initial} before the first window. Returns
   * {@code initial} if the interval is empty.
   */
  public double meanLimitBetween(long fromNanos, long toNanos, int initial) {
    if (toNanos <= fromNanos) {
      return initial;
    }
    double weighted = 0;
    long at = fromNanos;
    int current = initial;
    for (LimitPoint p : limits) {
      if (p.nanos() <= fromNanos) {
        current = p.limit();
        continue;
      }
      if (p.nanos() >= toNanos) {
        break;
      }
      weighted += (double) current * (p.nanos() - at);
      at = p.nanos();
      current = p.limit();
    }
    weighted += (double) current * (toNanos - at);
    return weighted / (toNanos - fromNanos);
  }

  /**
   * Returns the number of windows closed in {@code [fromNanos, toNanos)} before the limit settled
   * in {@code [low, high]}: the first window that lies in the band and from which at least {@code
   * fraction} of the remaining windows of the period lie in it too (a sawtooth or a baseline
   * re-measurement may leave it briefly); 1 means the first window after {@code fromNanos}, -1 that
   * it never settled.
   */
  public int windowsToSettle(long fromNanos, long toNanos, double low, double high,
      double fraction) {
    List<LimitPoint> points = limitsBetween(fromNanos, toNanos);
    int inBandFromHere = 0;
    int settledAt = -1;
    for (int i = points.size() - 1; i >= 0; i--) {
      int limit = points.get(i).limit();
      boolean inBand = limit >= low && limit <= high;
      if (inBand) {
        inBandFromHere++;
      }
      if (inBand && inBandFromHere >= fraction * (points.size() - i)) {
        settledAt = i + 1;
      }
    }
    return settledAt;
  }

  @Override
  public String toString() {
    return String.format(
        "goodput=%.1f%% of %.0f/s, admitted=%d, rejected=%d, dropped=%d, p50=%.2fms, p99=%.2fms,"
            + " p99.9=%.2fms, retryAfter p50=%.0fms",
        100 * goodputRatio(), capacityPerSecond(), admitted(), rejected(), dropped(),
        latencyNanos(0.5) / 1e6, latencyNanos(0.99) / 1e6, latencyNanos(0.999) / 1e6,
        retryAfterNanos(0.5) / 1e6);
  }
}
