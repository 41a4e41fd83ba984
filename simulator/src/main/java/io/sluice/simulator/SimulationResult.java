package io.sluice.simulator;

import java.util.Collections;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What a {@link Simulation} measured over its measurement period (the run after warm-up): counts,
 * goodput, latency percentiles of admitted work, Retry-After hints, and the limit after every
 * window of the whole run. Immutable.
 */
public final class SimulationResult {

  /** The limit the limiter set when a window closed, at virtual time {@code nanos}. */
  public record LimitPoint(long nanos, int limit) {}

  private final long measuredNanos;
  private final double capacityPerSecond;
  private final long arrivals;
  private final long admitted;
  private final long rejected;
  private final long completed;
  private final long good;
  private final long dropped;
  private final Histogram latency;
  private final Histogram retryAfter;
  private final List<LimitPoint> limits;

  SimulationResult(long measuredNanos, double capacityPerSecond, long arrivals, long admitted,
      long rejected, long completed, long good, long dropped, Histogram latency,
      Histogram retryAfter, List<LimitPoint> limits) {
    this.measuredNanos = measuredNanos;
    this.capacityPerSecond = capacityPerSecond;
    this.arrivals = arrivals;
    this.admitted = admitted;
    this.rejected = rejected;
    this.completed = completed;
    this.good = good;
    this.dropped = dropped;
    this.latency = latency;
    this.retryAfter = retryAfter;
    this.limits = Collections.unmodifiableList(limits);
  }

  /** Returns requests that arrived during the measurement period. */
  public long arrivals() {
    return arrivals;
  }

  /** Returns requests admitted by the limiter during the measurement period. */
  public long admitted() {
    return admitted;
  }

  /** Returns requests the limiter rejected during the measurement period. */
  public long rejected() {
    return rejected;
  }

  /** Returns admitted requests that completed during the measurement period. */
  public long completed() {
    return completed;
  }

  /** Returns completions within the latency objective during the measurement period. */
  public long good() {
    return good;
  }

  /** Returns completions after the client's timeout (released as DROPPED). */
  public long dropped() {
    return dropped;
  }

  /** Returns completions within the latency objective per second. */
  public double goodputPerSecond() {
    return good * 1e9 / measuredNanos;
  }

  /** Returns the backend's capacity (workers / mean service time) averaged over the period. */
  public double capacityPerSecond() {
    return capacityPerSecond;
  }

  /** Returns goodput as a fraction of capacity. */
  public double goodputRatio() {
    return goodputPerSecond() / capacityPerSecond;
  }

  /** Returns the latency (arrival to completion) of admitted work at quantile {@code q}, in ns. */
  public long latencyNanos(double q) {
    return latency.getValueAtPercentile(q * 100.0);
  }

  /** Returns the Retry-After hint of rejections at quantile {@code q}, in ns; 0 with no rejections. */
  public long retryAfterNanos(double q) {
    return retryAfter.getTotalCount() == 0 ? 0 : retryAfter.getValueAtPercentile(q * 100.0);
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
   * Returns the number of windows closed in {@code [fromNanos, toNanos)} before the limit settled in
   * {@code [low, high]}: the first window that lies in the band and from which at least
   * {@code fraction} of the remaining windows of the period lie in it too (a sawtooth or a baseline re-measurement may leave it
   * briefly); 1 means the first window after {@code fromNanos}, -1 that it never settled.
   */
  public int windowsToSettle(long fromNanos, long toNanos, double low, double high, double fraction) {
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
        100 * goodputRatio(), capacityPerSecond, admitted, rejected, dropped,
        latencyNanos(0.5) / 1e6, latencyNanos(0.99) / 1e6, latencyNanos(0.999) / 1e6,
        retryAfterNanos(0.5) / 1e6);
  }
}
