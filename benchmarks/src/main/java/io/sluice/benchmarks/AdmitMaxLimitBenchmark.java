package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sluice's admit round trip (acquire, then complete with success, as in {@link AdmitBenchmark})
 * against the configured {@code maxLimit}: the cost must follow the work in flight, not the
 * configuration, so each figure is read as a ratio to the same algorithm at maxLimit 1000. Run it
 * at 1 and 2 threads ({@code -t 1}, {@code -t 2}) with {@code -prof gc}; all threads share one
 * limiter, and the limit never binds (a trial with a rejection fails at tear-down).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class AdmitMaxLimitBenchmark {

  /** The limit algorithm, built with the benchmark's maxLimit. */
  public enum Algorithm {
    /** {@link FixedLimit} at maxLimit: the limit is the maximum. */
    FIXED {
      @Override
      LimitAlgorithm create(int maxLimit) {
        return FixedLimit.of(maxLimit);
      }
    },
    /** {@link VegasLimit} with maxLimit and a minimum limit of 20, as in {@link AdmitBenchmark}. */
    VEGAS {
      @Override
      LimitAlgorithm create(int maxLimit) {
        return VegasLimit.newBuilder().minLimit(20).maxLimit(maxLimit).build();
      }
    };

    abstract LimitAlgorithm create(int maxLimit);
  }

  /** The limiter's maxLimit; 1048576 is LimitAlgorithm.MAX_SUPPORTED_LIMIT. */
  @Param({"1000", "10000", "100000", "1048576"})
  public int maxLimit;

  /** The limit algorithm. */
  @Param
  public Algorithm algorithm;

  private Limiter limiter;
  private final LongAdder rejected = new LongAdder();

  /** Builds one limiter, shared by all threads of the trial. */
  @Setup
  public void setUp() {
    LimitAlgorithm chosen = algorithm.create(maxLimit);
    limiter = Limiter.newBuilder().algorithm(() -> chosen).build();
  }

  /** Fails the trial if any acquisition was rejected. */
  @TearDown
  public void checkNothingWasRejected() {
    if (rejected.sum() != 0) {
      throw new IllegalStateException(algorithm + " at maxLimit " + maxLimit + " rejected "
          + rejected.sum() + " acquisitions: its limit bound, so this is not an admit round trip");
    }
  }

  /** Acquires a permit and releases it with SUCCESS; returns whether it was admitted. */
  @Benchmark
  public boolean admitRoundTrip() {
    // Releasing a rejection does nothing and returns false.
    boolean admitted = limiter.release(limiter.tryAcquire(), Outcome.SUCCESS);
    if (!admitted) {
      rejected.increment();
    }
    return admitted;
  }
}
