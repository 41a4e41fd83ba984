package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.ExecutorSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Regression tests of the executor's hangs, stranded tasks and lost reports: shed tasks of
 * invokeAny and of foreign futures complete, a task heavier than the limit runs instead of
 * stalling an idle executor, a throwing limit listener strands nothing and escapes no submit, and
 * failures of execute() tasks reach an UncaughtExceptionHandler.
 */
class ExecutorReliabilityTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final Pool pool = new Pool();
  private final List<Throwable> uncaught = new CopyOnWriteArrayList<>();

  /** Collects tasks for the test to run, refusing as many as it is told to. Single-threaded. */
  private static final class Pool implements Executor {
    final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    int refusals;
    Runnable onRefusal = () -> { };

    @Override
    public void execute(Runnable task) {
      if (refusals > 0) {
        refusals--;
        onRefusal.run();
        throw new RejectedExecutionException("pool refuses");
      }
      tasks.addLast(task);
    }

    void runNext() {
      tasks.removeFirst().run();
    }
  }

  private AdmissionExecutor.Builder builder(Limiter limiter) {
    return AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter).retryAfterJitter(0);
  }

  private Limiter fixed(int limit) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
  }

  private static Callable<String> task(String name) {
    return () -> name;
  }

  private static RejectReason shedReason(Future<?> future) {
    assertThat(future.isDone()).isTrue();
    try {
      future.get();
      throw new AssertionError("not shed: " + future);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(AdmissionRejectedException.class);
      return ((AdmissionRejectedException) e.getCause()).reason();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Runs {@code body} with a handler on the current thread that records into uncaught. */
  private void withRecordingHandler(Runnable body) {
    Thread self = Thread.currentThread();
    Thread.UncaughtExceptionHandler previous = self.getUncaughtExceptionHandler();
    self.setUncaughtExceptionHandler((t, e) -> uncaught.add(e));
    try {
      body.run();
    } finally {
      self.setUncaughtExceptionHandler(previous);
    }
  }

  // ------------------------------------------------------------- shed futures complete (item 2)

  @Test
  @Timeout(20)
  void invokeAnyReturnsWhenEveryTaskIsShedAfterAcceptance() {
    AdmissionExecutor executor = builder(fixed(2)).build();
    pool.refusals = Integer.MAX_VALUE; // every dispatched task is shed with QUEUE_FULL
    assertThatThrownBy(() -> executor.invokeAny(List.of(task("x"), task("y"), task("z"))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(AdmissionRejectedException.class);
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  @Timeout(20)
  void invokeAnyReturnsWhenCodelShedsTheTasksItWaitsFor() throws Exception {
    AdmissionExecutor executor = builder(fixed(1)).adaptiveLifo(false).build();
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Callable<String> fails = () -> {
      throw new IllegalStateException("first fails");
    };
    Thread caller = new Thread(() -> {
      try {
        outcome.set(new AssertionError("returned " + executor.invokeAny(
            List.of(fails, task("y"), task("z")))));
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    caller.start();
    while (executor.queued() < 2) { // the first holds the permit, the others wait
      assertThat(caller.isAlive()).isTrue();
      Thread.onSpinWait();
    }
    clock.advanceNanos(200 * MS); // the queue has stood for 200 ms: CoDel sheds both
    executor.sweep();
    pool.runNext(); // the first fails: invokeAny has nothing left to wait for
    caller.join();

    assertThat(outcome.get()).isInstanceOf(ExecutionException.class);
    assertThat(refusedOrShed(executor, RejectReason.QUEUE_TIMEOUT)).isEqualTo(2);
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  void invokeAllStillReturnsShedTasksAsFailedFutures() throws Exception {
    AdmissionExecutor executor = builder(fixed(2)).build();
    pool.refusals = Integer.MAX_VALUE;
    List<Future<String>> futures = executor.invokeAll(List.of(task("x"), task("y")));
    assertThat(futures)
        .allSatisfy(f -> assertThat(shedReason(f)).isEqualTo(RejectReason.QUEUE_FULL));
  }

  @Test
  void aShedFutureTaskGivenToExecuteIsCancelledNotLeftPending() {
    AdmissionExecutor executor = builder(fixed(1)).build();
    executor.submit(task("holder"));
    FutureTask<String> queued = new FutureTask<>(task("queued"));
    executor.execute(queued);
    executor.shutdownNow();
    assertThat(queued.isCancelled()).as("shed by shutdownNow: get() must not block").isTrue();

    pool.refusals = 1;
    AdmissionExecutor other = builder(fixed(1)).build();
    FutureTask<String> refused = new FutureTask<>(task("refused"));
    other.execute(refused);
    assertThat(refused.isCancelled()).as("shed by the pool's refusal").isTrue();
  }

  @Test
  @Timeout(20)
  void aCompletionServiceSeesAShedTaskFail() throws Exception {
    AdmissionExecutor executor = builder(fixed(1)).build();
    ExecutorCompletionService<String> completions = new ExecutorCompletionService<>(executor);
    pool.refusals = 1;
    completions.submit(task("shed"));
    Future<String> done = completions.take();
    assertThat(shedReason(done)).isEqualTo(RejectReason.QUEUE_FULL);
  }

  // ------------------------------------------------------- a task above the limit (item 3)

  @Test
  void aTaskCostingMoreThanTheLimitRunsAtOnceOnAnIdleExecutor() {
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock).build();
    Limiter limiter = executor.limiter(); // Vegas: limit 20, maximum 1000
    assertThat(limiter.limit()).isEqualTo(20);

    CompletableFuture<String> big =
        executor.submit(task("big"), TaskOptions.defaults().withCost(50));
    assertThat(pool.tasks).as("admitted at once, alone").hasSize(1);
    assertThat(limiter.inFlight()).as("it holds the whole limit").isEqualTo(20);
    CompletableFuture<String> small = executor.submit(task("small"));
    assertThat(small).as("nothing fits beside it").isNotDone();
    assertThat(pool.tasks).hasSize(1);

    clock.advanceNanos(MS);
    pool.runNext();
    assertThat(big).isCompletedWithValue("big");
    assertThat(pool.tasks).as("the small task follows").hasSize(1);
    pool.runNext();
    assertThat(small).isCompletedWithValue("small");
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aQueuedTaskCostingMoreThanTheLimitRunsAloneOnceRunningWorkEnds() {
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock).build();
    Limiter limiter = executor.limiter();
    executor.submit(task("a"));
    CompletableFuture<String> big =
        executor.submit(task("big"), TaskOptions.defaults().withCost(50));
    CompletableFuture<String> c = executor.submit(task("c"));
    assertThat(executor.queued()).as("c waits behind big, in order").isEqualTo(2);

    clock.advanceNanos(MS);
    pool.runNext(); // a ends: in-flight 0, big takes the whole limit
    assertThat(pool.tasks).hasSize(1);
    assertThat(limiter.inFlight()).isEqualTo(limiter.limit());
    assertThat(c).isNotDone();
    pool.runNext();
    assertThat(big).isCompletedWithValue("big");
    pool.runNext();
    assertThat(c).isCompletedWithValue("c");
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aTaskAboveTheLimitDoesNotOvertakeHigherPriorities() {
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock).build();
    executor.submit(task("a"));
    CompletableFuture<String> big = executor.submit(task("big"),
        TaskOptions.of(Priority.SHEDDABLE).withCost(50));
    CompletableFuture<String> urgent = executor.submit(task("urgent"),
        TaskOptions.of(Priority.CRITICAL_PLUS));
    assertThat(pool.tasks).as("urgent is admitted beside a; big waits").hasSize(2);
    pool.runNext();
    assertThat(big).as("urgent still runs").isNotDone();
    pool.runNext();
    assertThat(urgent).isCompletedWithValue("urgent");
    assertThat(pool.tasks).as("idle now: big runs").hasSize(1);
    pool.runNext();
    assertThat(big).isCompletedWithValue("big");
  }

  // ------------------------------------------------- a throwing limit listener (item 4)

  /** A limiter of 1 that closes a window at every release 1 ms apart; its listener may throw. */
  private Limiter throwingListenerLimiter(AtomicBoolean throwing) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .window(Duration.ofMillis(1), Duration.ofMillis(1), 1)
        .listener((window, limit) -> {
          if (throwing.get()) {
            throw new IllegalStateException("listener bug");
          }
        })
        .build();
  }

  @Test
  void aListenerThrowingInADispatchPassStrandsNoQueuedTask() {
    AtomicBoolean throwing = new AtomicBoolean();
    Limiter limiter = throwingListenerLimiter(throwing);
    AdmissionExecutor executor = builder(limiter).build();
    long held = limiter.tryAcquire(); // another user holds the only permit
    CompletableFuture<String> b = executor.submit(task("b"));
    CompletableFuture<String> c = executor.submit(task("c"));
    clock.advanceNanos(2 * MS);
    limiter.release(held, io.sluice.Outcome.SUCCESS); // frees the permit, closes a window

    throwing.set(true);
    clock.advanceNanos(2 * MS);
    pool.refusals = 1; // b is refused: its DROPPED release closes a window, the listener throws
    withRecordingHandler(executor::sweep);

    assertThat(shedReason(b)).isEqualTo(RejectReason.QUEUE_FULL);
    assertThat(pool.tasks).as("c dispatched in the same pass").hasSize(1);
    assertThat(uncaught).as("the listener's exception is reported, not lost")
        .singleElement().satisfies(e -> assertThat(e).hasMessage("listener bug"));
    throwing.set(false);
    pool.runNext();
    assertThat(c).isCompletedWithValue("c");
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aListenerThrowingInAPassDoesNotEscapeTheSubmitOfAQueuedTask() {
    AtomicBoolean throwing = new AtomicBoolean();
    Limiter limiter = throwingListenerLimiter(throwing);
    AdmissionExecutor executor = builder(limiter).build();
    long held = limiter.tryAcquire();
    CompletableFuture<String> b = executor.submit(task("b"));
    clock.advanceNanos(2 * MS);
    limiter.release(held, io.sluice.Outcome.SUCCESS);

    throwing.set(true);
    clock.advanceNanos(2 * MS);
    pool.refusals = 1;
    AtomicReference<CompletableFuture<String>> d = new AtomicReference<>();
    withRecordingHandler(() -> d.set(executor.submit(task("d")))); // its pass sheds b

    assertThat(shedReason(b)).isEqualTo(RejectReason.QUEUE_FULL);
    assertThat(d.get()).as("d was accepted, and submit said so").isNotNull();
    assertThat(pool.tasks).as("d dispatched").hasSize(1);
    assertThat(uncaught).hasSize(1);
    throwing.set(false);
    pool.runNext();
    assertThat(d.get()).isCompletedWithValue("d");
  }

  @Test
  @Timeout(20)
  void aListenerThrowingInAPassDoesNotLoseTheSignalShutdownNowWaitsFor() throws Exception {
    AtomicBoolean throwing = new AtomicBoolean();
    Limiter limiter = throwingListenerLimiter(throwing);
    AdmissionExecutor executor = builder(limiter).build();
    long held = limiter.tryAcquire();
    CompletableFuture<String> b = executor.submit(task("b"));
    CompletableFuture<String> c = executor.submit(task("c"));
    clock.advanceNanos(2 * MS);
    limiter.release(held, io.sluice.Outcome.SUCCESS);

    throwing.set(true);
    clock.advanceNanos(2 * MS);
    AtomicReference<List<Runnable>> returned = new AtomicReference<>();
    Thread stopper = new Thread(() -> returned.set(executor.shutdownNow()));
    pool.refusals = 1;
    pool.onRefusal = () -> {
      // While this pass hands b to the pool, shutdownNow() leaves its signal and waits.
      stopper.start();
      while (stopper.getState() != Thread.State.WAITING) {
        assertThat(stopper.isAlive()).isTrue();
        Thread.onSpinWait();
      }
    };
    withRecordingHandler(executor::sweep);
    stopper.join();

    assertThat(shedReason(b)).isEqualTo(RejectReason.QUEUE_FULL);
    assertThat(returned.get()).as("c returned by shutdownNow").hasSize(1);
    assertThat(shedReason(c)).isEqualTo(RejectReason.SHUTDOWN);
    assertThat(executor.isTerminated()).isTrue();
    assertThat(limiter.inFlight()).isZero();
  }

  // ------------------------------------------- failures of execute() tasks (item 5)

  @Test
  void anExceptionOrErrorThrownByAnExecuteTaskReachesTheRunningThreadsHandler() {
    AdmissionExecutor executor = builder(fixed(2)).build();
    RuntimeException bug = new IllegalStateException("bug");
    StackOverflowError error = new StackOverflowError("deep");
    executor.execute(() -> {
      throw bug;
    });
    executor.execute(() -> {
      throw error;
    });
    CompletableFuture<Object> submitted = executor.submit(() -> {
      throw new IllegalStateException("seen through the future");
    });
    withRecordingHandler(() -> {
      pool.runNext();
      pool.runNext();
    });
    pool.runNext();

    assertThat(uncaught).containsExactly(bug, error);
    assertThat(submitted).isCompletedExceptionally();
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  void aFailingExecuteTaskIsReportedOnThePoolThreadWhichLivesOn() throws Exception {
    AtomicInteger threads = new AtomicInteger();
    CountDownLatch reported = new CountDownLatch(3);
    List<Thread> reporters = new CopyOnWriteArrayList<>();
    ExecutorService real = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "worker-" + threads.incrementAndGet());
      t.setUncaughtExceptionHandler((thread, e) -> {
        reporters.add(thread);
        reported.countDown();
      });
      return t;
    });
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(real)
        .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(1)).build()).build();
    for (int i = 0; i < 3; i++) {
      executor.execute(() -> {
        throw new IllegalStateException("task fails");
      });
    }
    assertThat(reported.await(1, TimeUnit.MINUTES)).isTrue();
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    real.shutdown();
    assertThat(real.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    assertThat(reporters).hasSize(3).allSatisfy(t -> assertThat(t.getName()).isEqualTo("worker-1"));
    assertThat(threads.get()).as("reported without killing the pool thread").isEqualTo(1);
  }

  // ------------------------------- collaborators that throw Errors, inline runs (same classes)

  @Test
  void aShedListenerThrowingAnErrorLeavesTheTaskSettledAndShutdownNowReturning() {
    AdmissionExecutor executor = builder(fixed(1)).shedListener((task, e) -> {
      throw new AssertionError("listener assertion");
    }).build();
    executor.submit(task("a"));
    CompletableFuture<String> b = executor.submit(task("b"));

    assertThatThrownBy(executor::shutdownNow).hasMessage("listener assertion");
    assertThat(shedReason(b)).isEqualTo(RejectReason.SHUTDOWN);
    pool.runNext();
    assertThat(executor.isTerminated()).as("b was settled despite the Error").isTrue();
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  void aRejectionListenerThrowingAnErrorAtSubmissionLeavesTheTaskSettled() {
    AdmissionExecutor executor = builder(fixed(1)).queueCapacity(1)
        .rejectionListener((reason, priority, retryAfterNanos) -> {
          throw new AssertionError("listener assertion");
        }).build();
    executor.submit(task("a"));
    executor.submit(task("b"));
    assertThatThrownBy(() -> executor.submit(task("c"))).hasMessage("listener assertion");
    executor.shutdown();
    pool.runNext();
    pool.runNext();
    assertThat(executor.isTerminated()).as("c is not outstanding").isTrue();
  }

  @Test
  void aFailureClassifierThrowingAnErrorStillReleasesThePermit() {
    AdmissionExecutor executor = builder(fixed(1)).failureClassifier(failure -> {
      throw new AssertionError("classifier bug");
    }).build();
    CompletableFuture<Object> failing = executor.submit(() -> {
      throw new IllegalStateException("task fails");
    });
    CompletableFuture<String> next = executor.submit(task("next"));
    assertThatThrownBy(pool::runNext).hasMessage("classifier bug");
    assertThat(failing).isCompletedExceptionally();
    assertThat(pool.tasks).as("the permit was released: next dispatched").hasSize(1);
    pool.runNext();
    assertThat(next).isCompletedWithValue("next");
    executor.shutdown();
    assertThat(executor.isTerminated()).isTrue();
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  void aListenerExceptionAfterATaskRunInlineIsReportedNotSwallowed() {
    AtomicBoolean throwing = new AtomicBoolean(true);
    Limiter limiter = throwingListenerLimiter(throwing);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(Runnable::run).clock(clock)
        .limiter(limiter).build();
    clock.advanceNanos(2 * MS); // the task's release closes a window: the listener throws
    AtomicReference<CompletableFuture<String>> f = new AtomicReference<>();
    withRecordingHandler(() -> f.set(executor.submit(task("inline"))));
    assertThat(f.get()).isCompletedWithValue("inline");
    assertThat(uncaught).singleElement()
        .satisfies(e -> assertThat(e).hasMessage("listener bug"));
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void cancellingAnAdmittedTaskReportsAListenerExceptionInsteadOfThrowingIt() {
    AtomicBoolean throwing = new AtomicBoolean(true);
    Limiter limiter = throwingListenerLimiter(throwing);
    AdmissionExecutor executor = builder(limiter).build();
    CompletableFuture<String> a = executor.submit(task("a")); // admitted, not yet run
    clock.advanceNanos(2 * MS); // its release closes a window: the listener throws
    AtomicBoolean cancelled = new AtomicBoolean();
    withRecordingHandler(() -> cancelled.set(a.cancel(false)));
    assertThat(cancelled).as("cancel() says it cancelled").isTrue();
    assertThat(uncaught).singleElement()
        .satisfies(e -> assertThat(e).hasMessage("listener bug"));
    assertThat(limiter.inFlight()).isZero();
    executor.shutdown();
    assertThat(executor.isTerminated()).isTrue();
  }

  /** Returns the tasks refused at submission or shed later for {@code reason}. */
  private static long refusedOrShed(AdmissionExecutor executor, RejectReason reason) {
    ExecutorSnapshot snapshot = executor.snapshot();
    return snapshot.rejected(reason) + snapshot.shed(reason);
  }
}
