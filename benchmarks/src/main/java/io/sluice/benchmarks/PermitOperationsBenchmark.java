package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.limit.FixedLimit;
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
 * The permit operations beyond acquire and release, each in a round trip next to the plain one
 * it extends, on one limiter shared by all threads (a fixed limit of 1000 that never binds):
 *
 * <ul>
 *   <li>{@link #plainRoundTrip}: {@code tryAcquire()}, then {@code release(SUCCESS)}: the
 *       reference;
 *   <li>{@link #priorityRoundTrip}: the same with {@code tryAcquire(1, SHEDDABLE)};
 *   <li>{@link #milestoneRoundTrip}: acquire, {@code sample(permit)}, release: a stream's first
 *       token, then its end;
 *   <li>{@link #weightedRoundTrip}: {@code tryAcquire(4)}, release: the reference for the next
 *       two, which pay the weighted accounting too;
 *   <li>{@link #refundRoundTrip}: {@code tryAcquire(4)}, {@code adjust(permit, 2)}, release;
 *   <li>{@link #chargeRoundTrip}: {@code tryAcquire(2)}, {@code adjust(permit, 4)}, release.
 * </ul>
 *
 * <p>Read the figures as ratios within one run: milestone / plain and refund or charge / weighted
 * give what a milestone sample and a cost adjustment add. Run with {@code -prof gc}: every round
 * trip allocates 0 B/op. {@code maxSamplingPeriod} 64 is the default (one permit in up to 64
 * timed at high traffic); 1 times every permit, which is what reading the clock at every
 * acquisition for permits that might take a milestone would cost. A trial in which any
 * acquisition was rejected fails at tear-down.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class PermitOperationsBenchmark {

  /** The limiter's largest sampling period: 64 (the default) or 1 (every permit timed). */
  @Param({"64", "1"})
  public int maxSamplingPeriod;

  private Limiter limiter;
  private final LongAdder rejected = new LongAdder();

  @Setup
  public void setUp() {
    limiter = Limiter.newBuilder()
        .algorithm(FixedLimit.of(1000))
        .maxSamplingPeriod(maxSamplingPeriod)
        .build();
  }

  @TearDown
  public void checkNothingWasRejected() {
    if (rejected.sum() != 0 || limiter.inFlight() != 0) {
      throw new IllegalStateException(rejected.sum() + " acquisitions rejected, "
          + limiter.inFlight() + " units left in flight: these figures are not round trips");
    }
  }

  private boolean complete(long permit) {
    boolean released = limiter.release(permit, Outcome.SUCCESS);
    if (!released) {
      rejected.increment();
    }
    return released;
  }

  @Benchmark
  public boolean plainRoundTrip() {
    return complete(limiter.tryAcquire());
  }

  @Benchmark
  public boolean priorityRoundTrip() {
    return complete(limiter.tryAcquire(1, Priority.SHEDDABLE));
  }

  @Benchmark
  public boolean milestoneRoundTrip() {
    long permit = limiter.tryAcquire();
    limiter.sample(permit);
    return complete(permit);
  }

  @Benchmark
  public boolean weightedRoundTrip() {
    return complete(limiter.tryAcquire(4));
  }

  @Benchmark
  public boolean refundRoundTrip() {
    long permit = limiter.tryAcquire(4);
    limiter.adjust(permit, 2);
    return complete(permit);
  }

  @Benchmark
  public boolean chargeRoundTrip() {
    long permit = limiter.tryAcquire(2);
    limiter.adjust(permit, 4);
    return complete(permit);
  }
}
