package io.sluice.benchmarks;

import io.sluice.internal.CumulativeHistogram;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of recording one latency into the library's own distributions: core's log-linear
 * {@link CumulativeHistogram} (what the snapshots and the Micrometer binder read) next to
 * HdrHistogram's {@link Recorder}, the field's standard for interval histograms, in the same run.
 * Every thread records into one shared histogram, as request threads do. Values are log-normal
 * latencies (median 1 ms) drawn in advance, so the figure is the record alone.
 *
 * <p>Contenders: {@code SLUICE}; {@code HDR_1_DIGIT}, a Recorder with one significant digit, the
 * same bucket layout as Sluice's (16 sub-buckets per octave, about 3%); {@code HDR_2_DIGITS}, the
 * usual setting (128 sub-buckets per octave, about 0.4%). Run with {@code -t 1} and {@code -t 2};
 * {@link HistogramComparison} prints their memory and precision.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class HistogramBenchmark {
  static final int VALUES = 1 << 12;

  /** The histograms compared. */
  public enum Contender {
    /** Core's cumulative log-linear histogram: one atomic add on a bucket, one on the total. */
    SLUICE,
    /** HdrHistogram's Recorder at one significant digit (Sluice's resolution). */
    HDR_1_DIGIT,
    /** HdrHistogram's Recorder at two significant digits. */
    HDR_2_DIGITS
  }

  /** What every contender does with a value. */
  interface Sink {
    void record(long nanos);
  }

  @Param({"SLUICE", "HDR_1_DIGIT", "HDR_2_DIGITS"})
  public Contender contender;

  private Sink sink;

  /** The values each thread records in turn; its own index keeps threads apart. */
  @State(Scope.Thread)
  public static class Values {
    final long[] nanos = latencies(new SplittableRandom(Thread.currentThread().getId()), VALUES);
    int next;
  }

  @Setup
  public void setUp() {
    sink = create(contender);
  }

  static Sink create(Contender contender) {
    switch (contender) {
      case SLUICE:
        return new CumulativeHistogram()::record;
      case HDR_1_DIGIT:
        return new Recorder(1)::recordValue;
      case HDR_2_DIGITS:
        return new Recorder(2)::recordValue;
      default:
        throw new IllegalArgumentException(contender.name());
    }
  }

  /** Log-normal latencies around 1 ms (sigma 1): from tens of microseconds to tens of ms. */
  static long[] latencies(SplittableRandom random, int count) {
    long[] values = new long[count];
    for (int i = 0; i < count; i++) {
      double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
          * Math.cos(2 * Math.PI * random.nextDouble());
      values[i] = (long) (1_000_000 * Math.exp(gaussian));
    }
    return values;
  }

  /** Records one value. */
  @Benchmark
  public void record(Values values) {
    sink.record(values.nanos[values.next++ & (VALUES - 1)]);
  }
}
