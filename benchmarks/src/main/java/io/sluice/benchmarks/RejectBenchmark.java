package io.sluice.benchmarks;

import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Limiter;
import io.sluice.Ticket;
import io.sluice.limit.VegasLimit;
import io.sluice.micrometer.SluiceMeterBinder;
import java.time.Duration;
import java.util.concurrent.Semaphore;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reject path: an acquisition when the limit is reached. Every contender holds a limit of one
 * with its single permit taken at set-up, so every call is rejected. Sluice's figure includes
 * decoding the rejection's reason and its Retry-After hint (jitter included), which a server needs
 * to answer; the baselines only say no (none of them has a reason or a Retry-After). Run it at 1
 * and 2 threads; all threads share one limiter.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RejectBenchmark {
  /** The registry of the contenders with metrics on; kept for the life of the benchmark. */
  static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();

  /** Who is measured. */
  public enum Contender {
    /** {@link Semaphore#tryAcquire()} on a semaphore without permits. */
    SEMAPHORE {
      @Override
      Rejection create() {
        Semaphore semaphore = new Semaphore(0);
        return () -> semaphore.tryAcquire() ? 1 : 0;
      }
    },
    /** Resilience4j's semaphore bulkhead, full, not waiting. */
    RESILIENCE4J_BULKHEAD {
      @Override
      Rejection create() {
        Bulkhead bulkhead = Bulkhead.of("benchmark", BulkheadConfig.custom()
            .maxConcurrentCalls(1).maxWaitDuration(Duration.ZERO).build());
        requireAdmitted(bulkhead.tryAcquirePermission());
        return () -> bulkhead.tryAcquirePermission() ? 1 : 0;
      }
    },
    /**
     * Netflix's {@code SimpleLimiter} at its limit. Its reject path does not depend on the limit
     * algorithm, so a fixed limit stands for all of them.
     */
    NETFLIX {
      @Override
      Rejection create() {
        SimpleLimiter<Void> limiter = SimpleLimiter.newBuilder().limit(FixedLimit.of(1)).build();
        requireAdmitted(limiter.acquire(null).isPresent());
        return () -> limiter.acquire(null).isPresent() ? 1 : 0;
      }
    },
    /**
     * Sluice at its limit, reading the reason and the Retry-After hint. Its reject path does not
     * run the limit algorithm, so one algorithm stands for all.
     */
    SLUICE {
      @Override
      Rejection create() {
        Limiter limiter = Limiter.newBuilder()
            .algorithm(VegasLimit.newBuilder().initialLimit(1).maxLimit(1))
            .build();
        requireAdmitted(Ticket.isPermit(limiter.tryAcquire()));
        return () -> {
          long ticket = limiter.tryAcquire();
          return Ticket.retryAfterNanos(ticket) + Ticket.reason(ticket).ordinal();
        };
      }
    },
    /**
     * {@link #SLUICE} with metrics on: a rejection listener that counts each rejection in a
     * {@code LongAdder} (what a server's listener would do; its add is part of this figure), and
     * the limiter bound to a Micrometer registry.
     */
    SLUICE_METRICS {
      @Override
      Rejection create() {
        LongAdder heard = new LongAdder();
        Limiter limiter = Limiter.newBuilder()
            .algorithm(VegasLimit.newBuilder().initialLimit(1).maxLimit(1))
            .rejectionListener((reason, priority, retryAfterNanos) -> heard.increment())
            .build();
        SluiceMeterBinder.limiter("benchmark", limiter).bindTo(REGISTRY);
        requireAdmitted(Ticket.isPermit(limiter.tryAcquire()));
        return () -> {
          long ticket = limiter.tryAcquire();
          return Ticket.retryAfterNanos(ticket) + Ticket.reason(ticket).ordinal();
        };
      }
    };

    abstract Rejection create();

    private static void requireAdmitted(boolean admitted) {
      if (!admitted) {
        throw new IllegalStateException("the first acquisition must fill the limit");
      }
    }
  }

  @Param
  public Contender contender;

  private Rejection rejection;

  @Setup
  public void setUp() {
    rejection = contender.create();
  }

  @Benchmark
  public long reject() {
    return rejection.tryAcquireRejected();
  }

  /** One contender's rejected acquisition. */
  @FunctionalInterface
  interface Rejection {

    /** Tries to acquire from a full limiter; returns something to consume. */
    long tryAcquireRejected();
  }
}
