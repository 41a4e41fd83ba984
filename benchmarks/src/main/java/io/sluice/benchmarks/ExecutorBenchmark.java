package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.limit.VegasLimit;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Submit to completion below capacity: each benchmark thread submits small tasks and waits for
 * their results, to a pool with more workers than there are benchmark threads, so no limit binds.
 * Measures what the admission guard adds to the hand-off to a worker and back (acquire, dispatch,
 * release, the sampled clock reads), as throughput next to the bare executor.
 *
 * <p>Two shapes. {@link #submitToCompletion}: one task at a time, so every operation parks the
 * submitting thread and wakes a worker; the figure is dominated by the scheduler's wake-up latency
 * and varies by tens of percent between forks on a small machine. {@link #submitBatchToCompletion}:
 * {@value #BATCH} tasks, then their results, so workers find the next task queued instead of
 * parking; with less wake-up noise, it shows the guard's own cost more clearly (still at most
 * {@value #BATCH} tasks per thread in flight, below the limit's minimum of 20 at 2 threads).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class ExecutorBenchmark {
  private static final int WORKERS = 4;
  static final int BATCH = 8;

  /** Who is measured. */
  public enum Contender {
    /** A {@link ThreadPoolExecutor} of four workers with an unbounded queue. */
    BARE_EXECUTOR {
      @Override
      ExecutorService wrap(ThreadPoolExecutor pool) {
        return pool;
      }
    },
    /**
     * The bare pool, its result delivered through a {@link CompletableFuture} as the guard does
     * ({@code supplyAsync}): separates the cost of admission from that of the future type.
     */
    BARE_EXECUTOR_COMPLETABLE_FUTURE {
      @Override
      ExecutorService wrap(ThreadPoolExecutor pool) {
        return pool;
      }

      @Override
      Future<Integer> submit(ExecutorService executor) {
        return CompletableFuture.supplyAsync(Tasks.ANSWER_SUPPLIER, executor);
      }
    },
    /** The same pool behind an {@code AdmissionExecutor} with a Vegas limit (minimum 20). */
    ADMISSION_EXECUTOR {
      @Override
      ExecutorService wrap(ThreadPoolExecutor pool) {
        return AdmissionExecutor.newBuilder(pool)
            .limiter(Limiter.newBuilder()
                .algorithm(VegasLimit.newBuilder().minLimit(20).initialLimit(32))
                .build())
            .build();
      }
    };

    abstract ExecutorService wrap(ThreadPoolExecutor pool);

    Future<Integer> submit(ExecutorService executor) {
      return executor.submit(Tasks.ANSWER);
    }
  }

  @Param
  public Contender contender;

  private ThreadPoolExecutor pool;
  private ExecutorService executor;

  @Setup(Level.Trial)
  public void setUp() {
    pool = new ThreadPoolExecutor(WORKERS, WORKERS, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    pool.prestartAllCoreThreads();
    executor = contender.wrap(pool);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    executor.shutdown();
    pool.shutdown();
    if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the pool did not terminate");
    }
  }

  /** A benchmark thread's futures for one batch, reused. */
  @State(Scope.Thread)
  public static class Batch {
    @SuppressWarnings("unchecked")
    final Future<Integer>[] futures = new Future[BATCH];
  }

  @Benchmark
  public Integer submitToCompletion() throws Exception {
    return contender.submit(executor).get();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int submitBatchToCompletion(Batch batch) throws Exception {
    Future<Integer>[] futures = batch.futures;
    for (int i = 0; i < BATCH; i++) {
      futures[i] = contender.submit(executor);
    }
    int sum = 0;
    for (int i = 0; i < BATCH; i++) {
      sum += futures[i].get();
      futures[i] = null;
    }
    return sum;
  }
}
