package io.sluice.benchmarks;

import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.Gradient2Limit;
import com.netflix.concurrency.limits.limit.VegasLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.RejectionListener;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.micrometer.SluiceMeterBinder;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
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
 * The admit round trip: acquire a permit, then complete it with success (the call that hands an
 * RTT sample to the limit algorithm), for every Sluice algorithm and, in the same run, for the
 * baselines. Run it at 1 and 2 threads ({@code -t 1}, {@code -t 2}) and {@code -t max}; all threads
 * share one limiter. Every figure is read as a ratio to {@link Contender#FLOOR}.
 *
 * <p>The limits never bind, so every acquisition is admitted and the benchmark measures admission
 * alone: each library keeps its defaults, except that Sluice's adaptive algorithms get a minimum
 * limit of 20 (the floor Netflix's Gradient2 and AIMD have by default), because the sub-microsecond
 * round trips of a benchmark look like a queue to Vegas and Gradient and would otherwise shrink the
 * limit toward the thread count. A trial in which any acquisition was rejected fails at tear-down
 * rather than report a figure that mixes in the reject path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class AdmitBenchmark {

  /** Who is measured: the floor, JDK and library baselines, and Sluice's algorithms. */
  public enum Contender {
    /**
     * What any limiter that samples every request pays at least: an {@link AtomicInteger}
     * increment and decrement (the in-flight count) and the two {@link System#nanoTime()} reads of
     * an RTT sample.
     */
    FLOOR {
      @Override
      RoundTrip create() {
        return new Floor();
      }
    },
    /** {@link Semaphore#tryAcquire()} and {@link Semaphore#release()}: no limit algorithm. */
    SEMAPHORE {
      @Override
      RoundTrip create() {
        Semaphore semaphore = new Semaphore(25);
        return new AcquireRelease(semaphore::tryAcquire, semaphore::release);
      }
    },
    /** Resilience4j's semaphore {@link Bulkhead} with its defaults (25 concurrent calls). */
    RESILIENCE4J_BULKHEAD {
      @Override
      RoundTrip create() {
        Bulkhead bulkhead = Bulkhead.ofDefaults("benchmark");
        return new AcquireRelease(bulkhead::tryAcquirePermission, bulkhead::onComplete);
      }
    },
    /** Netflix's {@code SimpleLimiter} with {@code VegasLimit} and its defaults. */
    NETFLIX_VEGAS {
      @Override
      RoundTrip create() {
        return new Netflix(VegasLimit.newDefault());
      }
    },
    /** Netflix's {@code SimpleLimiter} with {@code Gradient2Limit} and its defaults. */
    NETFLIX_GRADIENT2 {
      @Override
      RoundTrip create() {
        return new Netflix(Gradient2Limit.newDefault());
      }
    },
    /** Netflix's {@code SimpleLimiter} with {@code AIMDLimit} and its defaults. */
    NETFLIX_AIMD {
      @Override
      RoundTrip create() {
        return new Netflix(AIMDLimit.newBuilder().build());
      }
    },
    /** Sluice with a fixed limit of 1000 (the adaptive algorithms' default maximum). */
    SLUICE_FIXED {
      @Override
      RoundTrip create() {
        return new Sluice(FixedLimit.of(1000));
      }
    },
    /** Sluice with {@link AimdLimit}. */
    SLUICE_AIMD {
      @Override
      RoundTrip create() {
        return new Sluice(AimdLimit.newBuilder().minLimit(20).build());
      }
    },
    /** Sluice with {@link io.sluice.limit.VegasLimit}. */
    SLUICE_VEGAS {
      @Override
      RoundTrip create() {
        return new Sluice(io.sluice.limit.VegasLimit.newBuilder().minLimit(20).build());
      }
    },
    /** Sluice with {@link GradientLimit}. */
    SLUICE_GRADIENT {
      @Override
      RoundTrip create() {
        return new Sluice(GradientLimit.newBuilder().minLimit(20).build());
      }
    },
    /**
     * {@link #SLUICE_VEGAS} with every metrics hook in use: a rejection listener and a limit
     * listener registered, and the limiter bound to a Micrometer registry (see
     * {@link Sluice#observed}). Compare it with SLUICE_VEGAS: the metrics add nothing to the
     * acquire and release paths.
     */
    SLUICE_VEGAS_METRICS {
      @Override
      RoundTrip create() {
        return Sluice.observed(io.sluice.limit.VegasLimit.newBuilder().minLimit(20).build());
      }
    };

    abstract RoundTrip create();
  }

  @Param
  public Contender contender;

  private RoundTrip roundTrip;
  private final LongAdder rejected = new LongAdder();

  @Setup
  public void setUp() {
    roundTrip = contender.create();
  }

  @TearDown
  public void checkNothingWasRejected() {
    if (rejected.sum() != 0) {
      throw new IllegalStateException(contender + " rejected " + rejected.sum() + " acquisitions: "
          + "its limit bound, so this figure mixes in the reject path and is not an admit round trip");
    }
  }

  @Benchmark
  public boolean admitRoundTrip() {
    boolean admitted = roundTrip.admitAndComplete();
    if (!admitted) {
      rejected.increment();
    }
    return admitted;
  }

  /** One contender's admit round trip; implementations are shared by all benchmark threads. */
  @FunctionalInterface
  interface RoundTrip {

    /** Acquires, and on admission completes with success; returns whether it was admitted. */
    boolean admitAndComplete();
  }

  /** The floor: it always admits. */
  static final class Floor implements RoundTrip {
    private final AtomicInteger inFlight = new AtomicInteger();

    @Override
    public boolean admitAndComplete() {
      long start = System.nanoTime();
      inFlight.incrementAndGet();
      inFlight.decrementAndGet();
      return System.nanoTime() - start >= 0;
    }
  }

  /** A baseline that only counts: a try-acquire and a release, no limit algorithm. */
  static final class AcquireRelease implements RoundTrip {
    private final BooleanSupplier tryAcquire;
    private final Runnable release;

    AcquireRelease(BooleanSupplier tryAcquire, Runnable release) {
      this.tryAcquire = tryAcquire;
      this.release = release;
    }

    @Override
    public boolean admitAndComplete() {
      if (tryAcquire.getAsBoolean()) {
        release.run();
        return true;
      }
      return false;
    }
  }

  /** Netflix concurrency-limits: {@code SimpleLimiter} around a limit algorithm. */
  static final class Netflix implements RoundTrip {
    private final SimpleLimiter<Void> limiter;

    Netflix(com.netflix.concurrency.limits.Limit limit) {
      this.limiter = SimpleLimiter.newBuilder().limit(limit).build();
    }

    @Override
    public boolean admitAndComplete() {
      Optional<com.netflix.concurrency.limits.Limiter.Listener> listener = limiter.acquire(null);
      if (listener.isPresent()) {
        listener.get().onSuccess();
        return true;
      }
      return false;
    }
  }

  /** Sluice's limiter around one of its algorithms. */
  static final class Sluice implements RoundTrip {
    private final Limiter limiter;

    Sluice(LimitAlgorithm algorithm) {
      this(Limiter.newBuilder().algorithm(() -> algorithm).build());
    }

    private Sluice(Limiter limiter) {
      this.limiter = limiter;
    }

    /**
     * A limiter with a rejection listener and a limit listener that count, bound to a Micrometer
     * registry whose meters are read only when scraped (never, here): metrics as a server has them.
     */
    static Sluice observed(LimitAlgorithm algorithm) {
      Metrics metrics = new Metrics();
      Limiter limiter = Limiter.newBuilder().algorithm(() -> algorithm)
          .listener(metrics).rejectionListener(metrics).build();
      SluiceMeterBinder.limiter("benchmark", limiter).bindTo(metrics.registry);
      return new Sluice(limiter);
    }

    @Override
    public boolean admitAndComplete() {
      // Releasing a rejection does nothing and returns false.
      return limiter.release(limiter.tryAcquire(), Outcome.SUCCESS);
    }
  }

  /** What a server registers: listeners that count, and a registry. Shared by all threads. */
  static final class Metrics implements LimitListener, RejectionListener {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final LongAdder rejections = new LongAdder();
    volatile int lastLimit;

    @Override
    public void onWindowClosed(WindowStats window, int newLimit) {
      lastLimit = newLimit;
    }

    @Override
    public void onRejected(RejectReason reason, Priority priority, long retryAfterNanos) {
      rejections.increment();
    }
  }
}
