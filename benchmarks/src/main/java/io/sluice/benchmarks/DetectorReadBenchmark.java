package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.detector.CpuDetector;
import io.sluice.detector.GcDetector;
import io.sluice.detector.HeartbeatDetector;
import io.sluice.detector.OverloadDetector;
import io.sluice.detector.PoolSaturationDetector;
import io.sluice.limit.AimdLimit;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
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
 * What overload detectors attached to a limiter ({@code Limiter.Builder#detectors}) add to the
 * admit round trip: acquire and release a permit, as {@code AdmitBenchmark}'s SLUICE_AIMD does, on
 * a limiter with no, two or four started detectors, in the same run. A SHEDDABLE acquisition reads
 * the limiter's folded detector word (one volatile int, which the detectors' sampling threads
 * rewrite when a level changes), whatever the number of detectors; a CRITICAL one reads nothing.
 * The detectors' sampling threads publish new signals while the benchmark reads. Compare TWO and
 * FOUR with NONE at the same priority and thread count; read 0 B/op with {@code -prof gc}.
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar DetectorReadBenchmark -t 1 -prof gc
 * </pre>
 *
 * <p>A detector reading SEVERE makes the limiter refuse SHEDDABLE calls (a stall of the machine
 * during the run); the tear-down reports how many, since those calls take the reject path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class DetectorReadBenchmark {

  /** The detectors attached to the admission. */
  public enum Attached {
    /** None: the admit round trip alone (the folded word reads 0). */
    NONE,
    /** A heartbeat and a GC detector. */
    TWO,
    /** All four shipped detectors: the same one read as two. */
    FOUR
  }

  @Param
  public Attached attached;

  /** The priority of every acquisition: only SHEDDABLE reads the detectors. */
  @Param({"SHEDDABLE", "CRITICAL"})
  public Priority priority;

  private Limiter limiter;
  private OverloadDetector[] detectors;
  private ThreadPoolExecutor pool;
  private final LongAdder rejected = new LongAdder();
  private final LongAdder shed = new LongAdder();

  @Setup
  public void setUp() {
    pool = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
    switch (attached) {
      case NONE:
        detectors = new OverloadDetector[0];
        break;
      case TWO:
        detectors = new OverloadDetector[] {
            HeartbeatDetector.newBuilder().build(), GcDetector.newBuilder().build()};
        break;
      default:
        detectors = new OverloadDetector[] {
            HeartbeatDetector.newBuilder().build(), GcDetector.newBuilder().build(),
            CpuDetector.newBuilder().build(), PoolSaturationDetector.newBuilder(pool).build()};
        break;
    }
    for (OverloadDetector detector : detectors) {
      detector.start();
    }
    limiter = Limiter.newBuilder().algorithm(AimdLimit.newBuilder().minLimit(20))
        .detectors(detectors).build();
  }

  @TearDown
  public void tearDown() {
    for (OverloadDetector detector : detectors) {
      detector.close();
    }
    pool.shutdown();
    if (rejected.sum() != 0) {
      throw new IllegalStateException(attached + ": the limit bound " + rejected.sum()
          + " times, so this figure mixes in the reject path");
    }
    if (shed.sum() != 0) {
      System.out.println(attached + ": " + shed.sum() + " calls refused on a SEVERE detector");
    }
  }

  @Benchmark
  public boolean admitRoundTrip() {
    long ticket = limiter.tryAcquire(1, priority);
    // Releasing a rejection does nothing and returns false.
    boolean admitted = limiter.release(ticket, Outcome.SUCCESS);
    if (!admitted) {
      if (Ticket.reason(ticket) == RejectReason.PROCESS_OVERLOADED) {
        shed.increment();
      } else {
        rejected.increment();
      }
    }
    return admitted;
  }
}
