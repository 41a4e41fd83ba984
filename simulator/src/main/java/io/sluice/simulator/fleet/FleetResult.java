package io.sluice.simulator.fleet;

import io.sluice.simulator.SimulationResult.LimitPoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.HdrHistogram.Histogram;

/**
 * What one run of a {@link FleetSimulation} measured: fleet totals and per-replica totals over the
 * measurement period (after warm-up), each replica's limit after every window of the whole run,
 * and per interval of the whole run (the overload monitors' interval) the signals an autoscaler
 * could read. Written by the run's thread, then never changed.
 */
final class FleetResult {
  /** The width of the goodput buckets: 100 ms. */
  static final long BUCKET_NANOS = 100_000_000L;
  final int replicas;
  final int intervals;
  final long intervalNanos;
  final long warmupNanos;
  final long durationNanos;
  final Recorder r;

  private FleetResult(Recorder r) {
    this.r = r;
    this.replicas = r.replicas;
    this.intervals = r.intervals;
    this.intervalNanos = r.intervalNanos;
    this.warmupNanos = r.warmupNanos;
    this.durationNanos = r.durationNanos;
  }

  private double measuredSeconds() {
    return (durationNanos - warmupNanos) / 1e9;
  }

  /** Returns completions within the objective per second, fleet-wide. */
  double goodputPerSecond() {
    return r.good / measuredSeconds();
  }

  /** Returns the share of client requests refused (by every replica the balancer tried). */
  double refusedShare() {
    return r.arrivals == 0 ? 0 : (double) r.refused / r.arrivals;
  }

  /** Returns the latency of completed requests at quantile {@code q}, in nanoseconds. */
  long latencyNanos(double q) {
    return quantile(r.latency, q);
  }

  /** Returns the downstream's queue wait at quantile {@code q}, in nanoseconds. */
  long downstreamWaitNanos(double q) {
    return quantile(r.downstreamWait, q);
  }

  /** Returns requests the balancer sent to replica {@code i}, retries included. */
  long sent(int i) {
    return r.sent[i];
  }

  /** Returns requests replica {@code i}'s limiter refused. */
  long rejected(int i) {
    return r.rejected[i];
  }

  /** Returns completions of replica {@code i} within the objective per second. */
  double goodputPerSecond(int i) {
    return r.goodOf[i] / measuredSeconds();
  }

  /** Returns the latency of replica {@code i}'s completions at quantile {@code q}, in ns. */
  long latencyNanos(int i, double q) {
    return quantile(r.latencyOf[i], q);
  }

  /** Returns replica {@code i}'s limit after every window of the run, from time zero. */
  List<LimitPoint> limits(int i) {
    return Collections.unmodifiableList(r.limits.get(i));
  }

  /** Returns replica {@code i}'s time-weighted mean limit over {@code [from, to)}. */
  double meanLimit(int i, long fromNanos, long toNanos) {
    List<LimitPoint> points = r.limits.get(i);
    double weighted = 0;
    long at = fromNanos;
    int current = points.get(0).limit();
    for (LimitPoint p : points) {
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

  /** Returns replica {@code i}'s time-weighted mean limit over the measurement period. */
  double meanLimit(int i) {
    return meanLimit(i, warmupNanos, durationNanos);
  }

  /**
   * Returns goodput per second over {@code [fromNanos, toNanos)} of the whole run, warm-up
   * included, to the 100 ms resolution of {@link #BUCKET_NANOS}.
   */
  double goodputPerSecondBetween(long fromNanos, long toNanos) {
    int from = (int) Math.max(0, fromNanos / BUCKET_NANOS);
    int to = (int) Math.min(r.goodPerBucket.length, toNanos / BUCKET_NANOS);
    long sum = 0;
    for (int b = from; b < to; b++) {
      sum += r.goodPerBucket[b];
    }
    return to <= from ? 0 : sum * 1e9 / ((to - from) * BUCKET_NANOS);
  }

  /**
   * Returns replica {@code i}'s goodput per second over {@code [fromNanos, toNanos)}, to the
   * 100 ms resolution of {@link #BUCKET_NANOS}.
   */
  double goodputPerSecondBetween(int i, long fromNanos, long toNanos) {
    int from = (int) Math.max(0, fromNanos / BUCKET_NANOS);
    int to = (int) Math.min(r.goodPerBucketOf[i].length, toNanos / BUCKET_NANOS);
    long sum = 0;
    for (int b = from; b < to; b++) {
      sum += r.goodPerBucketOf[i][b];
    }
    return to <= from ? 0 : sum * 1e9 / ((to - from) * BUCKET_NANOS);
  }

  /**
   * Returns Jain's fairness index over the replicas of the share of the requests sent to each that
   * completed within the objective, over the measurement period: 1 when every replica's clients
   * are served alike, 1/n when one replica's alone are.
   */
  double fairness() {
    double[] x = new double[replicas];
    for (int i = 0; i < replicas; i++) {
      x[i] = r.sent[i] == 0 ? 0 : (double) r.goodOf[i] / r.sent[i];
    }
    return jain(x);
  }

  /** Returns {@link #fairness()} over interval {@code k} alone. */
  double fairness(int k) {
    long from = k * intervalNanos;
    double[] x = new double[replicas];
    for (int i = 0; i < replicas; i++) {
      double sent = r.sentIn[k][i] * 1e9 / intervalNanos;
      x[i] = sent == 0 ? 0 : goodputPerSecondBetween(i, from, from + intervalNanos) / sent;
    }
    return jain(x);
  }

  private static double jain(double[] x) {
    double sum = 0;
    double squares = 0;
    for (double v : x) {
      sum += v;
      squares += v * v;
    }
    return squares == 0 ? 1 : sum * sum / (x.length * squares);
  }

  /** Returns the p99 latency of completions in interval {@code k}, in nanoseconds. */
  long p99Nanos(int k) {
    return quantile(r.latencyIn[k], 0.99);
  }

  /** Returns the mean over replicas of their overload monitors' rejection ratio in interval k. */
  double monitorRatio(int k) {
    return mean(r.monitorRatio[k]);
  }

  /** Returns replica {@code i}'s overload monitor rejection ratio in interval {@code k}. */
  double monitorRatio(int k, int i) {
    return r.monitorRatio[k][i];
  }

  /** Returns the mean over replicas of their mean sampled limit in interval {@code k}. */
  double sampledLimit(int k) {
    return perSample(r.limitSum[k], k);
  }

  /** Returns replica {@code i}'s mean sampled limit in interval {@code k}. */
  double sampledLimit(int k, int i) {
    return r.samples[k] == 0 ? 0 : r.limitSum[k][i] / r.samples[k];
  }

  /** Returns the mean over replicas of their sampled in-flight over limit in interval k. */
  double utilisation(int k) {
    return perSample(r.utilisationSum[k], k);
  }

  /** Returns the mean over replicas of their sampled busy-worker share in interval {@code k}. */
  double busyShare(int k) {
    return perSample(r.busySum[k], k);
  }

  /** Returns the downstream's mean busy share in interval {@code k}; 0 without one. */
  double downstreamBusy(int k) {
    return r.samples[k] == 0 ? 0 : r.downstreamBusySum[k] / r.samples[k];
  }

  /** Returns the downstream's mean queue length in interval {@code k}; 0 without one. */
  double downstreamQueue(int k) {
    return r.samples[k] == 0 ? 0 : r.downstreamQueueSum[k] / r.samples[k];
  }

  /** Returns the first interval that lies wholly in the measurement period. */
  int firstMeasuredInterval() {
    return (int) ((warmupNanos + intervalNanos - 1) / intervalNanos);
  }

  /** Returns the mean of {@code f} over the measured intervals. */
  double meanOverMeasured(IntToDoubleFunction f) {
    double sum = 0;
    int n = 0;
    for (int k = firstMeasuredInterval(); k < intervals; k++) {
      sum += f.applyAsDouble(k);
      n++;
    }
    return n == 0 ? 0 : sum / n;
  }

  private double perSample(double[] perReplica, int k) {
    return r.samples[k] == 0 ? 0 : mean(perReplica) / r.samples[k];
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }

  private static long quantile(Histogram h, double q) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(q * 100);
  }

  /** Collects a run's figures; written by the run's thread only. */
  static final class Recorder {
    final int replicas;
    final int intervals;
    final long intervalNanos;
    final long warmupNanos;
    final long durationNanos;
    long arrivals;
    long refused;
    long good;
    final Histogram latency = new Histogram(3);
    final Histogram downstreamWait = new Histogram(3);
    final long[] sent;
    final long[] rejected;
    final long[] goodOf;
    final Histogram[] latencyOf;
    final Histogram[] latencyIn;
    final double[][] monitorRatio;
    final double[][] limitSum;
    final double[][] utilisationSum;
    final double[][] busySum;
    final double[] downstreamBusySum;
    final double[] downstreamQueueSum;
    final long[] samples;
    final long[][] sentIn;
    final long[] goodPerBucket;
    final long[][] goodPerBucketOf;
    final List<List<LimitPoint>> limits = new ArrayList<>();

    Recorder(int replicas, int intervals, long intervalNanos, long warmupNanos,
        long durationNanos) {
      this.replicas = replicas;
      this.intervals = intervals;
      this.intervalNanos = intervalNanos;
      this.warmupNanos = warmupNanos;
      this.durationNanos = durationNanos;
      this.sent = new long[replicas];
      this.rejected = new long[replicas];
      this.goodOf = new long[replicas];
      this.latencyOf = new Histogram[replicas];
      for (int i = 0; i < replicas; i++) {
        latencyOf[i] = new Histogram(3);
      }
      this.latencyIn = new Histogram[intervals];
      for (int k = 0; k < intervals; k++) {
        latencyIn[k] = new Histogram(3);
      }
      this.monitorRatio = new double[intervals][replicas];
      this.limitSum = new double[intervals][replicas];
      this.utilisationSum = new double[intervals][replicas];
      this.busySum = new double[intervals][replicas];
      this.downstreamBusySum = new double[intervals];
      this.downstreamQueueSum = new double[intervals];
      this.samples = new long[intervals];
      this.sentIn = new long[intervals][replicas];
      int buckets = (int) (durationNanos / BUCKET_NANOS) + 1;
      this.goodPerBucket = new long[buckets];
      this.goodPerBucketOf = new long[replicas][buckets];
    }

    private int interval(long now) {
      return (int) Math.min(intervals - 1, now / intervalNanos);
    }

    void arrival(long now) {
      if (now >= warmupNanos) {
        arrivals++;
      }
    }

    void refused(long now) {
      if (now >= warmupNanos) {
        refused++;
      }
    }

    void sent(long now, int i) {
      sentIn[interval(now)][i]++;
      if (now >= warmupNanos) {
        sent[i]++;
      }
    }

    void rejected(long now, int i) {
      if (now >= warmupNanos) {
        rejected[i]++;
      }
    }

    void completed(long now, int i, long rttNanos, boolean withinObjective) {
      int k = interval(now);
      latencyIn[k].recordValue(rttNanos);
      if (withinObjective) {
        int b = (int) (now / BUCKET_NANOS);
        goodPerBucket[b]++;
        goodPerBucketOf[i][b]++;
      }
      if (now >= warmupNanos) {
        latency.recordValue(rttNanos);
        latencyOf[i].recordValue(rttNanos);
        if (withinObjective) {
          good++;
          goodOf[i]++;
        }
      }
    }

    void downstreamWait(long now, long nanos) {
      if (now >= warmupNanos) {
        downstreamWait.recordValue(nanos);
      }
    }

    void sample(long now, int i, int limit, double utilisation, double busy) {
      // Samples at the end of an interval belong to it (the loop samples before it ends it).
      int k = interval(now - 1);
      limitSum[k][i] += limit;
      utilisationSum[k][i] += utilisation;
      busySum[k][i] += busy;
      if (i == 0) {
        samples[k]++;
      }
    }

    void sampleDownstream(long now, double busy, int queued) {
      int k = interval(now - 1);
      downstreamBusySum[k] += busy;
      downstreamQueueSum[k] += queued;
    }

    void monitored(long now, int i, double ratio) {
      monitorRatio[interval(now - 1)][i] = ratio;
    }

    FleetResult result() {
      return new FleetResult(this);
    }
  }
}
