package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The admit round trip (acquire, then release with SUCCESS) of each Sluice algorithm, next to the
 * floor every limiter pays: one atomic increment, one decrement and the two clock reads of an RTT
 * sample.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class AdmitBenchmark {

  /** The Sluice algorithms under test. */
  public enum Algorithm {
    FIXED, AIMD, VEGAS, GRADIENT;

    LimitAlgorithm create() {
      switch (this) {
        case FIXED: return FixedLimit.of(1 << 16);
        case AIMD: return AimdLimit.newBuilder().initialLimit(1 << 16).maxLimit(1 << 16).build();
        case VEGAS: return VegasLimit.newBuilder().initialLimit(1 << 16).maxLimit(1 << 16).build();
        default: return GradientLimit.newBuilder().initialLimit(1 << 16).maxLimit(1 << 16).build();
      }
    }
  }

  @Param({"FIXED", "AIMD", "VEGAS", "GRADIENT"})
  public Algorithm algorithm;

  private Limiter limiter;
  private Limiter full;
  private final AtomicInteger floorCounter = new AtomicInteger();

  @Setup
  public void setUp() {
    limiter = Limiter.newBuilder().algorithm(algorithm.create()).build();
    full = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
    full.tryAcquire();
  }

  @Benchmark
  public boolean admitRoundTrip() {
    long ticket = limiter.tryAcquire();
    return limiter.release(ticket, Outcome.SUCCESS);
  }

  @Benchmark
  public long floor() {
    long start = System.nanoTime();
    floorCounter.incrementAndGet();
    floorCounter.decrementAndGet();
    return System.nanoTime() - start;
  }

  @Benchmark
  public long rejectWithRetryAfter() {
    long ticket = full.tryAcquire();
    return Ticket.retryAfterNanos(ticket) + Ticket.reason(ticket).ordinal();
  }
}
