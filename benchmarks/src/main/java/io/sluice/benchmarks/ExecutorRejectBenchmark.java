package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.limit.FixedLimit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
 * A rejected submit under overload: the executor is saturated by a task that holds its only worker
 * (and, for the guard, its only permit) until tear-down, and has no queue, so every submission is
 * refused. The figure is what a server pays to say no.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ExecutorRejectBenchmark {

  /** Who is measured. */
  public enum Contender {
    /**
     * A saturated {@link ThreadPoolExecutor} (one worker, a {@link SynchronousQueue}) with its
     * default {@code AbortPolicy}: a {@link RejectedExecutionException} with a stack trace.
     */
    BARE_EXECUTOR_ABORT {
      @Override
      ExecutorService wrap(ThreadPoolExecutor pool) {
        return pool;
      }
    },
    /**
     * The same pool behind an {@code AdmissionExecutor} with a fixed limit of one and no queue: an
     * {@code AdmissionRejectedException} carrying the reason and a Retry-After.
     */
    ADMISSION_EXECUTOR {
      @Override
      ExecutorService wrap(ThreadPoolExecutor pool) {
        return AdmissionExecutor.newBuilder(pool)
            .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(1)).build())
            .queueCapacity(0)
            .build();
      }
    };

    abstract ExecutorService wrap(ThreadPoolExecutor pool);
  }

  @Param
  public Contender contender;

  private final CountDownLatch release = new CountDownLatch(1);
  private ThreadPoolExecutor pool;
  private ExecutorService executor;

  @Setup(Level.Trial)
  public void setUp() {
    pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new SynchronousQueue<>());
    executor = contender.wrap(pool);
    executor.execute(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    release.countDown();
    executor.shutdown();
    pool.shutdown();
    if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the pool did not terminate");
    }
  }

  @Benchmark
  public int rejectedSubmit() {
    try {
      executor.execute(Tasks.NOTHING);
    } catch (RejectedExecutionException e) {
      return 1;
    }
    throw new IllegalStateException("a submission to a saturated executor was accepted");
  }
}
