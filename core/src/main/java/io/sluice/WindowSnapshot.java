package io.sluice;

import io.sluice.internal.LogLinearBuckets;
import io.sluice.limit.WindowStats;

/**
 * The statistics of one closed window, filled by the window closer and reused for the next window.
 * Single-writer: only the thread that holds the limiter's closing flag touches it.
 */
final class WindowSnapshot implements WindowStats {
  final long[] rttCounts = new long[RttHistogram.BUCKETS];
  long startNanos;
  long endNanos;
  long completions;
  long drops;
  long rejections;
  long samples;
  long rttSum;
  int maxInFlight;
  int inFlight;
  int limit;
  boolean overloaded;

  @Override
  public long durationNanos() {
    return Math.max(1L, endNanos - startNanos);
  }

  @Override
  public long completions() {
    return completions;
  }

  @Override
  public long drops() {
    return drops;
  }

  @Override
  public long rejections() {
    return rejections;
  }

  @Override
  public long sampleCount() {
    return samples;
  }

  @Override
  public long rttNanos(double q) {
    return LogLinearBuckets.valueAtQuantile(rttCounts, samples, q);
  }

  @Override
  public long samplesAbove(long rttNanos) {
    return LogLinearBuckets.countAbove(rttCounts, rttNanos);
  }

  @Override
  public long meanRttNanos() {
    return samples == 0 ? 0 : rttSum / samples;
  }

  @Override
  public int maxInFlight() {
    return maxInFlight;
  }

  @Override
  public int inFlight() {
    return inFlight;
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public boolean overloaded() {
    return overloaded;
  }

  @Override
  public String toString() {
    return "Window[duration=" + durationNanos() + "ns, completions=" + completions + ", drops=" + drops
        + ", rejections=" + rejections + ", samples=" + samples + ", p50=" + rttNanos(0.5)
        + "ns, p99=" + rttNanos(0.99) + "ns, maxInFlight=" + maxInFlight + ", inFlight=" + inFlight
        + ", limit=" + limit + (overloaded ? ", overloaded" : "") + "]";
  }
}
