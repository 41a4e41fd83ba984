package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.fair.FairShare;
import io.sluice.limit.FixedLimit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * The fair-share gate's cost over the bare limiter it guards: the admit round trip (acquire, then
 * release with SUCCESS) of a known tenant, the same with a milestone sample and a cost refund in
 * between (a streamed request), and the refusal of a tenant beyond its share. Each
 * benchmark thread is its own tenant, already tracked; the limiter is fixed at 1000 units, so the
 * round trip's limit never binds (a trial with a refusal fails at tear-down). Run at {@code -t 1}
 * and {@code -t 2} with {@code -prof gc}:
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar FairShareBenchmark -t 1 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class FairShareBenchmark {

  /** How a request is admitted. */
  public enum Path {
    /** {@link Limiter#tryAcquire(int)} and {@link Limiter#release}: no fairness. */
    LIMITER,
    /** {@link FairShare#tryAcquire(Object, int)} and {@link FairShare#release} on that limiter. */
    FAIR_SHARE
  }

  @Param
  public Path path;

  private Limiter limiter;
  private FairShare<String> gate;
  private final LongAdder refused = new LongAdder();
  /** A gate over a limiter of 100 units, 90 of them held by a flood beyond its share. */
  private FairShare<String> crowded;

  /** Each benchmark thread is its own tenant. */
  @State(Scope.Thread)
  public static class Tenant {
    private static final AtomicInteger NEXT = new AtomicInteger();
    String key;

    @Setup
    public void setUp() {
      key = "tenant-" + NEXT.getAndIncrement();
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1000)).build();
    gate = FairShare.newBuilder(limiter).build();
    crowded = FairShare.newBuilder(Limiter.newBuilder().algorithm(FixedLimit.of(100)).build())
        .reserve(0.1).build();
    crowded.tryAcquire("light");
    for (int i = 0; i < 90; i++) {
      crowded.tryAcquire("flood");
    }
    if (Ticket.reason(crowded.tryAcquire("flood")) != RejectReason.FAIR_SHARE) {
      throw new IllegalStateException("the crowded gate does not refuse the flood");
    }
  }

  /** Fails the trial if any round trip was refused. */
  @TearDown(Level.Trial)
  public void checkNothingWasRefused() {
    if (refused.sum() != 0) {
      throw new IllegalStateException(path + " refused " + refused.sum() + " round trips");
    }
  }

  /** Acquires one unit for the thread's tenant and releases it with SUCCESS. */
  @Benchmark
  public boolean admitRoundTrip(Tenant tenant) {
    boolean admitted = path == Path.LIMITER
        ? limiter.release(limiter.tryAcquire(1), Outcome.SUCCESS)
        : gate.release(gate.tryAcquire(tenant.key, 1), Outcome.SUCCESS);
    if (!admitted) {
      refused.increment();
    }
    return admitted;
  }

  /**
   * A streamed request's round trip: acquire 2 units, the milestone sample, a refund to 1 unit
   * (the true cost), then the release; through the limiter or the gate's pass-through.
   */
  @Benchmark
  public boolean streamRoundTrip(Tenant tenant) {
    boolean admitted;
    if (path == Path.LIMITER) {
      long permit = limiter.tryAcquire(2);
      admitted = limiter.sample(permit) & limiter.adjust(permit, 1)
          & limiter.release(permit, Outcome.SUCCESS);
    } else {
      long permit = gate.tryAcquire(tenant.key, 2);
      admitted = gate.sample(permit) & gate.adjust(permit, 1)
          & gate.release(permit, Outcome.SUCCESS);
    }
    if (!admitted) {
      refused.increment();
    }
    return admitted;
  }

  /**
   * A refusal: by the full limiter on the {@code LIMITER} path, and with {@code FAIR_SHARE} for a
   * tenant beyond its share on the {@code FAIR_SHARE} path; returns the Retry-After.
   */
  @Benchmark
  public long reject() {
    long ticket = path == Path.LIMITER ? crowded.limiter().tryAcquire(20)
        : crowded.tryAcquire("flood", 1);
    return Ticket.retryAfterNanos(ticket);
  }
}
