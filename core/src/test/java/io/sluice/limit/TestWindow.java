package io.sluice.limit;

import java.util.Arrays;

/** A synthetic window for unit tests of the algorithms: exact samples, no histogram rounding. */
final class TestWindow implements WindowStats {
  long durationNanos = 100_000_000L;
  long completions;
  long drops;
  long rejections;
  long[] samples = new long[0];
  int maxInFlight;
  int inFlight;
  int limit;

  static TestWindow of(int limit) {
    TestWindow w = new TestWindow();
    w.limit = limit;
    w.maxInFlight = limit;
    w.inFlight = limit;
    return w;
  }

  /** Adds {@code count} samples of {@code nanos} each; each is also a completion. */
  TestWindow samples(int count, long nanos) {
    long[] more = Arrays.copyOf(samples, samples.length + count);
    Arrays.fill(more, samples.length, more.length, nanos);
    Arrays.sort(more);
    samples = more;
    completions += count;
    return this;
  }

  TestWindow drops(int count) {
    drops += count;
    completions += count;
    return this;
  }

  TestWindow maxInFlight(int value) {
    maxInFlight = value;
    return this;
  }

  TestWindow duration(long nanos) {
    durationNanos = nanos;
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
    if (samples.length == 0) {
      return 0;
    }
    int rank = (int) Math.max(1, Math.min(samples.length, Math.ceil(q * samples.length)));
    return samples[rank - 1];
  }

  @Override
  public long samplesAbove(long rttNanos) {
    return Arrays.stream(samples).filter(s -> s > rttNanos).count();
  }

  @Override
  public long meanRttNanos() {
    return samples.length == 0 ? 0 : (long) Arrays.stream(samples).average().orElse(0);
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
}
