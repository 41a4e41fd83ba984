package io.sluice.testing;

import io.sluice.limit.WindowStats;
import java.util.Arrays;

/**
 * A {@link WindowStats} built by hand, for unit tests of a limit algorithm: exact samples (no
 * histogram rounding) and counts, so that a test states a window and checks the limit the
 * algorithm returns for it.
 *
 * <pre>{@code
 * LimitAlgorithm vegas = VegasLimit.newBuilder().initialLimit(20).build();
 * int next = vegas.update(WindowFixture.atLimit(20).samples(100, 10_000_000L).drops(5));
 * }</pre>
 *
 * <p>Defaults: a window of 100 ms, nothing completed, in-flight and peak in-flight equal to the
 * limit. Quantiles are nearest-rank over the samples. Not thread-safe: a fixture belongs to the
 * test that builds it.
 */
public final class WindowFixture implements WindowStats {
  private long durationNanos = 100_000_000L;
  private long completions;
  private long drops;
  private long rejections;
  private long[] samples = new long[0];
  private int maxInFlight;
  private int inFlight;
  private final int limit;

  private WindowFixture(int limit) {
    this.limit = limit;
    this.maxInFlight = limit;
    this.inFlight = limit;
  }

  /** Returns an empty window whose limit, in-flight and peak in-flight are {@code limit} (1+). */
  public static WindowFixture atLimit(int limit) {
    return new WindowFixture(Checks.inRange("limit", limit, 1, Integer.MAX_VALUE));
  }

  /** Adds {@code count} successes of {@code nanos} each: RTT samples that are also completions. */
  public WindowFixture samples(int count, long nanos) {
    Checks.inRange("count", count, 0, Integer.MAX_VALUE);
    Checks.inRange("nanos", nanos, 0L, Long.MAX_VALUE);
    long[] more = Arrays.copyOf(samples, samples.length + count);
    Arrays.fill(more, samples.length, more.length, nanos);
    Arrays.sort(more);
    samples = more;
    completions += count;
    return this;
  }

  /** Adds {@code count} drops (timeouts, overload signals), which are also completions. */
  public WindowFixture drops(int count) {
    Checks.inRange("count", count, 0, Integer.MAX_VALUE);
    drops += count;
    completions += count;
    return this;
  }

  /** Adds {@code count} completions that carry no sample (unsampled or ignored releases). */
  public WindowFixture unsampled(int count) {
    completions += Checks.inRange("count", count, 0, Integer.MAX_VALUE);
    return this;
  }

  /** Adds {@code count} rejected acquisitions. */
  public WindowFixture rejections(int count) {
    rejections += Checks.inRange("count", count, 0, Integer.MAX_VALUE);
    return this;
  }

  /** Sets the peak in-flight units (0 or more). */
  public WindowFixture maxInFlight(int units) {
    maxInFlight = Checks.inRange("maxInFlight", units, 0, Integer.MAX_VALUE);
    return this;
  }

  /** Sets the in-flight units when the window closed (0 or more). */
  public WindowFixture inFlight(int units) {
    inFlight = Checks.inRange("inFlight", units, 0, Integer.MAX_VALUE);
    return this;
  }

  /** Sets the window's length (1 ns or more). */
  public WindowFixture durationNanos(long nanos) {
    durationNanos = Checks.inRange("durationNanos", nanos, 1L, Long.MAX_VALUE);
    return this;
  }

  @Override
  public long durationNanos() {
    return durationNanos;
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
    return samples.length;
  }

  @Override
  public long rttNanos(double q) {
    Checks.inRange("q", q, 0.0, 1.0);
    if (samples.length == 0) {
      return 0;
    }
    int rank = (int) Math.max(1, Math.min(samples.length, Math.ceil(q * samples.length)));
    return samples[rank - 1];
  }

  @Override
  public long samplesAbove(long rttNanos) {
    long above = 0;
    for (long s : samples) {
      above += s > rttNanos ? 1 : 0;
    }
    return above;
  }

  @Override
  public long meanRttNanos() {
    if (samples.length == 0) {
      return 0;
    }
    double sum = 0;
    for (long s : samples) {
      sum += s;
    }
    return (long) (sum / samples.length);
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
  public String toString() {
    return "WindowFixture[limit=" + limit + ", completions=" + completions + ", drops=" + drops
        + ", samples=" + samples.length + ", p50=" + rttNanos(0.5) + "ns]";
  }
}
