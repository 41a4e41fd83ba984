package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.limit.AimdLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomized operations on one executor from many threads: submit, execute (plain tasks and
 * FutureTasks), invokeAll, invokeAny, with every option (priorities, costs up to above the
 * limiter's maximum, deadlines, timeouts), cancellations, misuse, sweeps, a moving clock, and
 * shutdown or shutdownNow midway; under them a pool that sometimes refuses, an adaptive limit whose
 * listener throws, shed and rejection listeners that throw, and tasks that throw exceptions and
 * errors. Invariants: every task runs at most once; each runs, or is refused at submission with an
 * exception, or is shed with its future completed, or is returned by shutdownNow; every future
 * completes; each failure of an execute() task is reported once to an UncaughtExceptionHandler
 * (and no failure of a task with a future is); the executor terminates with nothing in flight.
 *
 * <p>Seeded: the seed (printed on failure) fixes every choice of every thread, though not how the
 * threads interleave. Each run tries 8 consecutive seeds from a random one; run one again with
 * {@code -Dsluice.seed=N -Dsluice.seeds=1}, or soak with a larger {@code -Dsluice.seeds}.
 */
@Tag("stress")
class AdmissionExecutorRandomizedTest {
  private static final int THREADS = 4;
  private static final int OPS_PER_THREAD = 2_500;
  private static final int MAX_TASKS = THREADS * OPS_PER_THREAD * 3;
  private static final int MAX_LIMIT = 32;
  private static final long MS = 1_000_000L;

  /** How each task was handed over, as its submitter saw it. */
  private enum Fate { REFUSED, SUBMITTED, EXECUTED, FUTURE_TASK, INVOKED_ALL, INVOKED_ANY }

  private enum Ending { NONE, SHUTDOWN, SHUTDOWN_NOW }

  /** Everything one run records. */
  private static final class Run {
    final AtomicIntegerArray runs = new AtomicIntegerArray(MAX_TASKS);
    final Fate[] fates = new Fate[MAX_TASKS];
    final Future<?>[] futures = new Future<?>[MAX_TASKS];
    final boolean[] fails = new boolean[MAX_TASKS];
    final AtomicInteger nextId = new AtomicInteger();
    final Set<Integer> shedIds = ConcurrentHashMap.newKeySet();
    final Set<Integer> returnedIds = ConcurrentHashMap.newKeySet();
    final Map<Integer, Integer> reported = new ConcurrentHashMap<>();
    final List<Throwable> strayReports = new CopyOnWriteArrayList<>();
    final AtomicReference<String> violation = new AtomicReference<>();
    final Thread.UncaughtExceptionHandler handler = (thread, e) -> {
      if (e instanceof BodyFailure) {
        reported.merge(((BodyFailure) e).id, 1, Integer::sum);
      } else if (e instanceof BodyError) {
        reported.merge(((BodyError) e).id, 1, Integer::sum);
      } else if (!"limit listener".equals(e.getMessage())) {
        strayReports.add(e);
      }
    };

    int newId() {
      int id = nextId.getAndIncrement();
      if (id >= MAX_TASKS) {
        throw new IllegalStateException("too many tasks");
      }
      return id;
    }
  }

  private static final class BodyFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int id;

    BodyFailure(int id) {
      super("task " + id + " fails", null, false, false);
      this.id = id;
    }
  }

  private static final class BodyError extends Error {
    private static final long serialVersionUID = 1L;
    final int id;

    BodyError(int id) {
      super("task " + id + " errs", null, false, false);
      this.id = id;
    }
  }

  /** A task body: counts its runs and fails as it was told to. */
  private static final class Body implements Runnable {
    final Run run;
    final int id;
    final int failure; // 0 none, 1 exception, 2 error

    Body(Run run, int id, int failure) {
      this.run = run;
      this.id = id;
      this.failure = failure;
      run.fails[id] = failure != 0;
    }

    @Override
    public void run() {
      if (run.runs.incrementAndGet(id) > 1) {
        run.violation.compareAndSet(null, "task " + id + " ran twice");
      }
      if (failure == 1) {
        throw new BodyFailure(id);
      } else if (failure == 2) {
        throw new BodyError(id);
      }
    }

    Callable<Integer> callable() {
      return () -> {
        run();
        return id;
      };
    }
  }

  /** Hands tasks to a thread pool, refusing every n-th. */
  private static final class SometimesRefusing implements Executor {
    final ExecutorService pool;
    final int refuseEvery;
    final AtomicInteger calls = new AtomicInteger();

    SometimesRefusing(ExecutorService pool, int refuseEvery) {
      this.pool = pool;
      this.refuseEvery = refuseEvery;
    }

    @Override
    public void execute(Runnable task) {
      if (calls.incrementAndGet() % refuseEvery == 0) {
        throw new RejectedExecutionException("pool refuses");
      }
      pool.execute(task);
    }
  }

  @Test
  @Timeout(60)
  void randomOperationsLoseNoTaskCompleteEveryFutureAndEndQuiet() throws Exception {
    long first = Long.getLong("sluice.seed", System.nanoTime());
    int seeds = Integer.getInteger("sluice.seeds", 8);
    int ran = 0;
    for (long seed = first; seed < first + seeds; seed++) {
      for (Ending ending : Ending.values()) {
        try {
          ran += runOnce(seed, ending);
        } catch (Throwable t) {
          System.out.println("AdmissionExecutorRandomizedTest failed: -Dsluice.seed=" + seed
              + " -Dsluice.seeds=1 (ending " + ending + ")");
          throw t;
        }
      }
    }
    // Not per run: on a loaded machine the operators may finish before the pool's threads start.
    assertThat(ran).as("tasks ran").isPositive();
  }

  /** Runs one scenario, checks it, and returns how many tasks ran. */
  private static int runOnce(long seed, Ending ending) throws Exception {
    Run run = new Run();
    SplittableRandom config = new SplittableRandom(seed ^ ending.ordinal());
    ManualClock clock = new ManualClock(config.nextLong());
    AtomicInteger windows = new AtomicInteger();
    int listenerThrowsEvery = 2 + config.nextInt(6);
    Limiter limiter = Limiter.newBuilder().clock(clock)
        .algorithm(AimdLimit.newBuilder().minLimit(1).initialLimit(8).maxLimit(MAX_LIMIT)
            .timeout(Duration.ofMillis(20)))
        .window(Duration.ofMillis(1), Duration.ofMillis(10), 1)
        .listener((window, limit) -> {
          if (windows.incrementAndGet() % listenerThrowsEvery == 0) {
            throw new IllegalStateException("limit listener");
          }
        })
        .build();
    ExecutorService pool = Executors.newFixedThreadPool(3, r -> {
      Thread t = new Thread(r, "pool");
      t.setUncaughtExceptionHandler(run.handler);
      return t;
    });
    AtomicInteger sheds = new AtomicInteger();
    AdmissionExecutor.Builder builder = AdmissionExecutor.newBuilder(
            new SometimesRefusing(pool, 5 + config.nextInt(40)))
        .clock(clock)
        .limiter(limiter)
        .queueCapacity(4 + config.nextInt(60))
        .shedListener((task, e) -> {
          Object body = task instanceof FutureTask<?> ? null : task;
          if (body instanceof Body) {
            run.shedIds.add(((Body) body).id);
          }
          if (sheds.incrementAndGet() % 7 == 0) {
            throw new IllegalStateException("shed listener");
          }
        })
        .rejectionListener((reason, priority, retryAfter) -> {
          if (retryAfter % 5 == 0) {
            throw new IllegalStateException("rejection listener");
          }
        });
    if (config.nextBoolean()) {
      builder.longTasks(6, 0.5);
    }
    AdmissionExecutor executor = builder.build();

    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<FutureTask<?>> futureTasks = new CopyOnWriteArrayList<>();
    int endAt = OPS_PER_THREAD / 2 + config.nextInt(OPS_PER_THREAD / 2);
    for (int i = 0; i < THREADS; i++) {
      SplittableRandom random = config.split();
      boolean ender = i == 0;
      Thread t = new Thread(() -> {
        awaitQuietly(start);
        List<Future<?>> mine = new ArrayList<>();
        for (int op = 0; op < OPS_PER_THREAD; op++) {
          try {
            if (ender && op == endAt) {
              end(executor, ending, run);
            }
            operate(executor, clock, run, random, mine, futureTasks);
          } catch (Throwable unexpected) {
            run.violation.compareAndSet(null, "an operation threw " + unexpected);
            return;
          }
        }
      }, "operator-" + i);
      t.setUncaughtExceptionHandler(run.handler);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }

    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).as("terminated").isTrue();
    pool.shutdown();
    assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    assertThat(limiter.inFlight()).as("every permit released").isZero();
    assertThat(executor.queued()).isZero();
    return check(run, futureTasks);
  }

  private static void end(AdmissionExecutor executor, Ending ending, Run run) {
    if (ending == Ending.SHUTDOWN) {
      executor.shutdown();
    } else if (ending == Ending.SHUTDOWN_NOW) {
      for (Runnable r : executor.shutdownNow()) {
        if (r instanceof Body) {
          run.returnedIds.add(((Body) r).id);
        }
      }
    }
  }

  private static TaskOptions options(SplittableRandom random, ManualClock clock) {
    TaskOptions o = TaskOptions.of(Priority.values()[random.nextInt(Priority.LEVELS)]);
    int c = random.nextInt(20);
    if (c < 3) {
      o = o.withCost(2 + random.nextInt(MAX_LIMIT + 8)); // some above the limit, a few above max
    }
    int d = random.nextInt(10);
    if (d == 0) {
      o = o.withTimeout(Duration.ofNanos(1 + random.nextLong(20 * MS)));
    } else if (d == 1) {
      o = o.withDeadline(clock.nanoTime() + random.nextLong(-2 * MS, 20 * MS));
    }
    return o;
  }

  private static int failure(SplittableRandom random) {
    int f = random.nextInt(20);
    return f < 2 ? 1 : f == 2 ? 2 : 0;
  }

  private static void operate(AdmissionExecutor executor, ManualClock clock, Run run,
      SplittableRandom random, List<Future<?>> mine, List<FutureTask<?>> futureTasks) {
    int op = random.nextInt(100);
    if (op < 35) {
      Body body = new Body(run, run.newId(), failure(random));
      try {
        CompletableFuture<Integer> f = executor.submit(body.callable(), options(random, clock));
        run.futures[body.id] = f;
        run.fates[body.id] = Fate.SUBMITTED;
        mine.add(f);
      } catch (AdmissionRejectedException | IllegalArgumentException refused) {
        run.fates[body.id] = Fate.REFUSED;
      }
    } else if (op < 60) {
      Body body = new Body(run, run.newId(), failure(random));
      try {
        executor.execute(body, options(random, clock));
        run.fates[body.id] = Fate.EXECUTED;
      } catch (AdmissionRejectedException | IllegalArgumentException refused) {
        run.fates[body.id] = Fate.REFUSED;
      }
    } else if (op < 66) {
      Body body = new Body(run, run.newId(), failure(random));
      FutureTask<Integer> task = new FutureTask<>(body.callable());
      run.futures[body.id] = task;
      try {
        executor.execute(task);
        run.fates[body.id] = Fate.FUTURE_TASK;
        futureTasks.add(task);
        mine.add(task);
      } catch (RejectedExecutionException refused) {
        run.fates[body.id] = Fate.REFUSED;
      }
    } else if (op < 71) {
      invokeAll(executor, run, random);
    } else if (op < 75) {
      invokeAny(executor, run, random);
    } else if (op < 85) {
      if (!mine.isEmpty()) {
        mine.get(random.nextInt(mine.size())).cancel(random.nextBoolean());
      }
    } else if (op < 88) {
      misuse(executor, mine, random);
    } else if (op < 92) {
      executor.sweep();
    } else {
      clock.advanceNanos(random.nextLong(3 * MS));
    }
  }

  private static List<Body> batch(Run run, SplittableRandom random, Fate fate) {
    List<Body> bodies = new ArrayList<>();
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n; i++) {
      Body body = new Body(run, run.newId(), failure(random));
      run.fates[body.id] = fate;
      bodies.add(body);
    }
    return bodies;
  }

  private static List<Callable<Integer>> callables(List<Body> bodies) {
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (Body body : bodies) {
      tasks.add(body.callable());
    }
    return tasks;
  }

  private static void invokeAll(AdmissionExecutor executor, Run run, SplittableRandom random) {
    List<Body> bodies = batch(run, random, Fate.INVOKED_ALL);
    try {
      List<Future<Integer>> futures = executor.invokeAll(callables(bodies));
      for (int i = 0; i < futures.size(); i++) {
        run.futures[bodies.get(i).id] = futures.get(i);
        if (!futures.get(i).isDone()) {
          run.violation.compareAndSet(null, "invokeAll returned a future not done");
        }
      }
    } catch (RejectedExecutionException refused) {
      // refused at submission (shut down): invokeAll cancelled the others
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static void invokeAny(AdmissionExecutor executor, Run run, SplittableRandom random) {
    List<Body> bodies = batch(run, random, Fate.INVOKED_ANY);
    try {
      int id = executor.invokeAny(callables(bodies));
      if (run.runs.get(id) != 1 || run.fails[id]) {
        run.violation.compareAndSet(null, "invokeAny returned task " + id + ", not a success");
      }
    } catch (ExecutionException | RejectedExecutionException allFailedOrRefused) {
      // every task failed, was shed, or was refused
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static void misuse(AdmissionExecutor executor, List<Future<?>> mine,
      SplittableRandom random) {
    switch (random.nextInt(3)) {
      case 0 -> assertThatThrownBy(() -> executor.execute(null))
          .isInstanceOf(NullPointerException.class);
      case 1 -> assertThatThrownBy(() -> executor.submit(() -> 1, null))
          .isInstanceOf(IllegalArgumentException.class);
      default -> {
        for (Future<?> f : mine) {
          if (f instanceof AdmissionTask<?>) {
            Runnable again = (Runnable) f; // a future handed back to execute(): refused, no effect
            assertThatThrownBy(() -> executor.execute(again))
                .isInstanceOf(IllegalArgumentException.class);
            return;
          }
        }
      }
    }
  }

  private static int check(Run run, List<FutureTask<?>> futureTasks) throws Exception {
    assertThat(run.violation.get()).isNull();
    assertThat(run.strayReports).as("nothing but task failures and listener bugs reported")
        .isEmpty();
    int total = run.nextId.get();
    int ran = 0;
    int refused = 0;
    int shed = 0;
    int returned = 0;
    for (int id = 0; id < total; id++) {
      Fate fate = run.fates[id];
      int runs = run.runs.get(id);
      Future<?> f = run.futures[id];
      String task = "task " + id + " (" + fate + ")";
      assertThat(runs).as(task).isLessThanOrEqualTo(1);
      int reports = run.reported.getOrDefault(id, 0);
      if (fate != Fate.EXECUTED) {
        assertThat(reports).as("%s has a future: not reported", task).isZero();
      }
      ran += runs;
      switch (fate) {
        case REFUSED -> {
          assertThat(runs).as(task).isZero();
          refused++;
        }
        case EXECUTED -> {
          boolean wasShed = run.shedIds.contains(id);
          boolean wasReturned = run.returnedIds.contains(id);
          assertThat(runs + (wasShed ? 1 : 0)).as("%s ran or was shed, not both", task)
              .isLessThanOrEqualTo(1);
          assertThat(runs == 1 || wasShed || wasReturned).as("%s is accounted for", task)
              .isTrue();
          assertThat(reports).as("%s failure reports", task)
              .isEqualTo(runs == 1 && run.fails[id] ? 1 : 0);
          shed += wasShed ? 1 : 0;
          returned += wasReturned ? 1 : 0;
        }
        case SUBMITTED, FUTURE_TASK, INVOKED_ALL -> {
          if (f == null) {
            // A batch invokeAll gave up when one task was refused at submission: it cancelled
            // the others, some of which may have run already. At most once is all that holds.
            assertThat(fate).as(task).isEqualTo(Fate.INVOKED_ALL);
            break;
          }
          assertThat(f.isDone()).as("%s future completes", task).isTrue();
          Throwable failure = outcome(f);
          if (failure == null) {
            assertThat(runs).as(task).isEqualTo(1);
          } else if (failure instanceof AdmissionRejectedException) {
            assertThat(runs).as(task).isZero();
            shed++;
          } else if (failure instanceof CancellationException) {
            if (fate == Fate.FUTURE_TASK && runs == 0) {
              shed++; // cancelled by the test, or by a shed
            }
          } else {
            assertThat(runs).as("%s failed by itself", task).isEqualTo(1);
          }
        }
        case INVOKED_ANY -> {
          // invokeAny cancels what it no longer needs: at most once is all that holds
        }
        default -> throw new AssertionError(fate);
      }
    }
    for (FutureTask<?> t : futureTasks) {
      assertThat(t.isDone()).as("every FutureTask given to execute() completes").isTrue();
    }
    System.out.printf("%d tasks: %d ran, %d refused, %d shed, %d returned by shutdownNow%n",
        total, ran, refused, shed, returned);
    return ran;
  }

  /** Returns null if the future succeeded, else why it did not. */
  private static Throwable outcome(Future<?> f) throws InterruptedException {
    try {
      f.get();
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (CancellationException e) {
      return e;
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
