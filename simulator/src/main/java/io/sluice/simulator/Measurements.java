package io.sluice.simulator;

import org.HdrHistogram.Histogram;

/**
 * What one run of a {@link Simulation} counts, written by the run's thread and then handed, never
 * to change again, to its {@link SimulationResult}. Totals cover the measurement period (after
 * warm-up); the 100 ms buckets cover the whole run.
 */
final class Measurements {
  final long durationNanos;
  final long warmupNanos;
  final Histogram latency = new Histogram(3);
  final Histogram retryAfter = new Histogram(3);
  /** The measured time until a refused request would have been admitted. */
  final Histogram retryAfterTruth = new Histogram(3);
  /** The hint over the truth, times 1000 (truth floored at 1 ns). */
  final Histogram retryAfterRatio = new Histogram(3);
  /** The reference a hint is judged against: max(truth, median round-trip time, floor). */
  final Histogram retryAfterReference = new Histogram(3);
  /** The hint over the reference, times 1000. */
  final Histogram retryAfterReferenceRatio = new Histogram(3);
  /** The hint over max(median round-trip time, floor) at the refusal, times 1000 (if not 0). */
  final Histogram retryAfterMedianRatio = new Histogram(3);
  final long[] goodPerBucket;
  final long[] arrivalsPerBucket;
  final long[] rejectionsPerBucket;
  long arrivals;
  long retries;
  long admitted;
  long rejected;
  long completed;
  long good;
  long dropped;
  long unsettledRefusals;
  double capacityPerSecond;

  Measurements(long durationNanos, long warmupNanos) {
    this.durationNanos = durationNanos;
    this.warmupNanos = warmupNanos;
    int buckets = (int) (durationNanos / Simulation.BUCKET_NANOS) + 1;
    this.goodPerBucket = new long[buckets];
    this.arrivalsPerBucket = new long[buckets];
    this.rejectionsPerBucket = new long[buckets];
  }

  void arrival(long now, boolean retry) {
    arrivalsPerBucket[(int) (now / Simulation.BUCKET_NANOS)]++;
    if (now >= warmupNanos) {
      arrivals++;
      if (retry) {
        retries++;
      }
    }
  }

  void rejection(long now, long hintNanos) {
    rejectionsPerBucket[(int) (now / Simulation.BUCKET_NANOS)]++;
    if (now >= warmupNanos) {
      rejected++;
      retryAfter.recordValue(hintNanos);
    }
  }

  void completion(long now, long rttNanos, boolean withinObjective, boolean afterTimeout) {
    if (withinObjective) {
      goodPerBucket[(int) (now / Simulation.BUCKET_NANOS)]++;
    }
    if (now >= warmupNanos) {
      completed++;
      latency.recordValue(rttNanos);
      if (afterTimeout) {
        dropped++;
      }
      if (withinObjective) {
        good++;
      }
    }
  }

  /** Records a settled refusal; {@code medianRttNanos} is already raised to the floor. */
  void retryAfterTruth(long truthNanos, long hintNanos, long medianRttNanos) {
    long truth = Math.max(1L, truthNanos);
    retryAfterTruth.recordValue(truth);
    retryAfterRatio.recordValue(ratio(hintNanos, truth));
    long reference = Math.max(truth, medianRttNanos);
    retryAfterReference.recordValue(reference);
    retryAfterReferenceRatio.recordValue(ratio(hintNanos, reference));
    if (medianRttNanos > 0) {
      retryAfterMedianRatio.recordValue(ratio(hintNanos, medianRttNanos));
    }
  }

  /** Returns {@code a / b} times 1000, within [0, 1e15]. */
  private static long ratio(long a, long b) {
    return Math.max(0L, (long) Math.min(1e15, a * 1000.0 / b));
  }
}
