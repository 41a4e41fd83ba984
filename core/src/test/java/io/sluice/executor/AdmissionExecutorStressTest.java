package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.limit.FixedLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Many threads submit, run, cancel and shut down at once, on real threads and the system clock,
 * for a bounded number of tasks. Invariants: no task runs twice; every accepted task runs, or is
 * shed with its future completed exceptionally, or is cancelled, or is returned by shutdownNow;
 * units running at once never exceed the limit; the executor terminates with every permit
 * released. Timing decides which of those happens to each task, never whether the test passes.
 */
@Tag("stress")
class AdmissionExecutorStressTest {
  private static final int SUBMITTERS = 6;
  private static final int PER_SUBMITTER = 12_000;
  private static final int TOTAL = SUBMITTERS * PER_SUBMITTER;
  private static final int LIMIT = 3;

  /** What happened to each task, as its submitter saw it. */
  private enum Fate { ACCEPTED, REFUSED, CANCELLED }

  private static final class Run {
    final AtomicIntegerArray runs = new AtomicIntegerArray(TOTAL);
    final AtomicReferenceArray<Fate> fates = new AtomicReferenceArray<>(TOTAL);
    final AtomicReferenceArray<CompletableFuture<?>> futures = new AtomicReferenceArray<>(TOTAL);
    final Set<Object> shedByListener = ConcurrentHashMap.newKeySet();
    final AtomicInteger runningUnits = new AtomicInteger();
    final AtomicReference<String> violation = new AtomicReference<>();
    final AtomicInteger submitted = new AtomicInteger();
    final List<Runnable> returned = new ArrayList<>();

    /** A task body: counts its runs and checks the units running at once. */
    final class Body implements Runnable {
      final int id;
      final int cost;
      final boolean fails;

      Body(int id, int cost, boolean fails) {
        this.id = id;
        this.cost = cost;
        this.fails = fails;
      }

      @Override
      public void run() {
        if (runs.incrementAndGet(id) > 1) {
          violation.compareAndSet(null, "task " + id + " ran twice");
        }
        int units = runningUnits.addAndGet(cost);
        if (units > LIMIT) {
          violation.compareAndSet(null, units + " units running, limit " + LIMIT);
        }
        runningUnits.addAndGet(-cost);
        if (fails) {
          throw new IllegalStateException("task " + id + " fails");
        }
      }
    }
  }

  private static Run hammer(ExecutorService pool, boolean stopNow) throws InterruptedException {
    Run run = new Run();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool)
        .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(LIMIT)).build())
        .queueCapacity(4096)
        .longTasks(2, 0.67)
        .shedListener((task, e) -> run.shedByListener.add(task))
        .build();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int s = 0; s < SUBMITTERS; s++) {
      int first = s * PER_SUBMITTER;
      SplittableRandom random = new SplittableRandom(s);
      threads.add(new Thread(() -> {
        await(start);
        for (int id = first; id < first + PER_SUBMITTER; id++) {
          submitOne(executor, run, id, random);
          run.submitted.incrementAndGet();
        }
      }, "submitter-" + s));
    }
    if (stopNow) {
      threads.add(new Thread(() -> {
        await(start);
        while (run.submitted.get() < TOTAL / 2) {
          Thread.onSpinWait();
        }
        run.returned.addAll(executor.shutdownNow());
      }, "stopper"));
    }
    threads.forEach(Thread::start);
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    executor.shutdown();
    assertThat(executor.awaitTermination(2, TimeUnit.MINUTES)).as("terminated").isTrue();
    assertThat(executor.limiter().inFlight()).as("every permit released").isZero();
    assertThat(executor.shutdownNow()).as("no task still queued after termination").isEmpty();
    assertThat(executor.queued()).as("cancelled leftovers removed").isZero();
    pool.shutdown();
    assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    return run;
  }

  private static void submitOne(AdmissionExecutor executor, Run run, int id,
      SplittableRandom random) {
    int cost = random.nextInt(5) == 0 ? 2 : 1;
    Run.Body body = run.new Body(id, cost, random.nextInt(10) == 0);
    TaskOptions options = TaskOptions.of(Priority.values()[random.nextInt(Priority.LEVELS)])
        .withCost(cost);
    if (random.nextInt(20) == 0) {
      options = options.withTimeout(Duration.ofNanos(1 + random.nextInt(2_000_000)));
    }
    try {
      if (random.nextInt(4) == 0) {
        executor.execute(body, options);
        run.fates.set(id, Fate.ACCEPTED);
        return;
      }
      CompletableFuture<Object> f = executor.submit(() -> {
        body.run();
        return null;
      }, options);
      run.futures.set(id, f);
      run.fates.set(id, random.nextInt(10) == 0 && f.cancel(random.nextBoolean())
          ? Fate.CANCELLED : Fate.ACCEPTED);
    } catch (AdmissionRejectedException refused) {
      run.fates.set(id, Fate.REFUSED);
    }
  }

  private static void checkAccounting(Run run) {
    assertThat(run.violation.get()).isNull();
    Set<Integer> shedIds = bodyIds(run.shedByListener);
    Set<Integer> returnedIds = bodyIds(run.returned);
    int ran = 0;
    int refused = 0;
    int shed = 0;
    int cancelled = 0;
    int returnedCount = 0;
    for (int id = 0; id < TOTAL; id++) {
      Fate fate = run.fates.get(id);
      int runs = run.runs.get(id);
      CompletableFuture<?> f = run.futures.get(id);
      assertThat(fate).as("task %d was submitted", id).isNotNull();
      assertThat(runs).as("runs of task %d", id).isLessThanOrEqualTo(1);
      if (fate == Fate.REFUSED) {
        assertThat(runs).as("refused task %d", id).isZero();
        refused++;
      } else if (fate == Fate.CANCELLED) {
        cancelled++;
      } else if (f != null) {
        assertThat(f).as("future of task %d", id).isDone();
        Throwable failure = f.handle((v, t) -> t).join();
        if (failure instanceof AdmissionRejectedException) {
          assertThat(runs).as("shed task %d", id).isZero();
          shed++;
        } else {
          assertThat(runs).as("accepted task %d", id).isEqualTo(1);
          ran++;
        }
      } else if (runs == 1) {
        ran++;
      } else {
        // an execute() task that did not run: it was shed (listener) or returned by shutdownNow
        boolean told = shedIds.contains(id);
        boolean back = returnedIds.contains(id);
        assertThat(told || back).as("execute() task %d not run: shed or returned", id).isTrue();
        if (back) {
          returnedCount++;
        } else {
          shed++;
        }
      }
    }
    System.out.printf("ran %d, refused %d, shed %d, cancelled %d, returned by shutdownNow %d"
        + " (of which execute() tasks %d)%n", ran, refused, shed, cancelled, run.returned.size(),
        returnedCount);
    assertThat(ran + refused + shed + cancelled + returnedCount).isEqualTo(TOTAL);
    assertThat(ran).as("tasks ran").isPositive();
    assertThat(refused + shed).as("tasks were refused or shed").isPositive();
  }

  private static Set<Integer> bodyIds(Iterable<?> tasks) {
    Set<Integer> ids = ConcurrentHashMap.newKeySet();
    for (Object t : tasks) {
      if (t instanceof Run.Body) {
        ids.add(((Run.Body) t).id);
      }
    }
    return ids;
  }

  @Test
  void submitRunCancelAndShutdownLoseNothingOnAThreadPool() throws InterruptedException {
    checkAccounting(hammer(Executors.newFixedThreadPool(4), false));
  }

  @Test
  void shutdownNowDuringSubmissionLosesNothing() throws InterruptedException {
    Run run = hammer(Executors.newFixedThreadPool(4), true);
    checkAccounting(run);
    assertThat(run.returned).as("submit() tasks returned are Callable wrappers; none ran").allSatisfy(
        r -> {
          if (r instanceof Run.Body) {
            assertThat(run.runs.get(((Run.Body) r).id)).isZero();
          }
        });
  }

  /**
   * Limit 1 and a queue that never sheds: every task must go through the single permit, handed
   * from each finishing task to the next queued one while submitters keep enqueueing. A lost
   * wake-up leaves a task queued forever and the executor never terminates.
   */
  @Test
  void noWakeUpIsLostWhenTheLastPermitIsReleasedAsTasksAreQueued() throws InterruptedException {
    for (boolean inline : new boolean[] {false, true}) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      AdmissionExecutor executor = AdmissionExecutor.newBuilder(inline ? Runnable::run : pool)
          .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(1)).build())
          .queueCapacity(1 << 17) // more than all the tasks: nothing is refused
          .codel(Duration.ofHours(1), Duration.ofHours(1))
          .build();
      AtomicInteger ran = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      int perThread = 25_000;
      for (int s = 0; s < 4; s++) {
        threads.add(new Thread(() -> {
          await(start);
          for (int i = 0; i < perThread; i++) {
            executor.execute(ran::incrementAndGet);
          }
        }));
      }
      threads.forEach(Thread::start);
      start.countDown();
      for (Thread t : threads) {
        t.join();
      }
      executor.shutdown();
      assertThat(executor.awaitTermination(2, TimeUnit.MINUTES))
          .as("terminated (inline %s): no task left queued", inline).isTrue();
      assertThat(ran.get()).isEqualTo(4 * perThread);
      assertThat(executor.limiter().inFlight()).isZero();
      pool.shutdown();
    }
  }

  @Test
  void cancelWithInterruptStopsARunningTaskAndReleasesItsPermit() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(1);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool)
        .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(1)).build()).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    AtomicReference<Boolean> interrupted = new AtomicReference<>();
    CompletableFuture<Object> f = executor.submit(() -> {
      started.countDown();
      try {
        never.await();
        interrupted.set(false);
      } catch (InterruptedException e) {
        interrupted.set(true);
      }
      return null;
    });
    started.await();
    assertThat(f.cancel(true)).isTrue();
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    assertThat(interrupted.get()).isTrue();
    assertThat(executor.limiter().inFlight()).isZero();
    CompletableFuture<Boolean> next = CompletableFuture.supplyAsync(
        () -> Thread.currentThread().isInterrupted(), pool);
    assertThat(next.get()).as("the interrupt does not leak into the pool's next task").isFalse();
    pool.shutdown();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
