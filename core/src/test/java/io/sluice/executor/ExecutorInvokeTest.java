package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.ExecutorSnapshot;
import io.sluice.testing.ManualClock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * invokeAny and invokeAll: the executor's own tasks, admitted like any submission. The first
 * success wins and every loser is cancelled where it stands (queued: it leaves the queue; admitted:
 * its permit is released; not yet submitted: it never is); a timeout, an interrupt or a refusal
 * cancels every task. Nothing is left queued or holding a permit once either call returns.
 */
@Timeout(20)
class ExecutorInvokeTest {
  private final ManualClock clock = new ManualClock();
  private final Pool pool = new Pool();
  private final AtomicInteger runs = new AtomicInteger();

  /** Collects tasks for the test to run, refusing as many as it is told to. Any thread. */
  private static final class Pool implements Executor {
    final ConcurrentLinkedDeque<Runnable> tasks = new ConcurrentLinkedDeque<>();
    final AtomicInteger refusals = new AtomicInteger();

    @Override
    public void execute(Runnable task) {
      if (refusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new RejectedExecutionException("pool refuses");
      }
      tasks.addLast(task);
    }

    void runNext() {
      tasks.removeFirst().run();
    }

    void runAll() {
      for (Runnable task = tasks.pollFirst(); task != null; task = tasks.pollFirst()) {
        task.run();
      }
    }
  }

  private AdmissionExecutor executor(int limit) {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
    return AdmissionExecutor.newBuilder(pool).clock(clock).limiter(limiter).retryAfterJitter(0)
        .build();
  }

  private Callable<String> task(String name) {
    return () -> {
      runs.incrementAndGet();
      return name;
    };
  }

  private Callable<String> failing(String message) {
    return () -> {
      runs.incrementAndGet();
      throw new IllegalStateException(message);
    };
  }

  /** Runs {@code body} on a new thread, started at once; its result or exception lands in out. */
  private static Thread caller(Callable<?> body, AtomicReference<Object> out) {
    Thread thread = new Thread(() -> {
      try {
        out.set(body.call());
      } catch (Throwable t) {
        out.set(t);
      }
    });
    thread.start();
    return thread;
  }

  /**
   * Waits until {@code executor} holds {@code inFlight} permits, all of them by tasks handed to
   * the pool (not one in the middle of its dispatch), and {@code queued} tasks.
   */
  private void awaitState(AdmissionExecutor executor, Thread caller, int inFlight, int queued) {
    while (executor.limiter().inFlight() != inFlight || pool.tasks.size() != inFlight
        || executor.queued() != queued) {
      assertThat(caller.isAlive()).as("the caller still waits").isTrue();
      Thread.onSpinWait();
    }
  }

  /** Nothing is left queued, admitted or runnable: the pool's leftovers run no task. */
  private void assertNothingLeft(AdmissionExecutor executor, int runsSoFar) {
    assertThat(executor.queued()).as("queued").isZero();
    assertThat(executor.limiter().inFlight()).as("in flight").isZero();
    pool.runAll();
    assertThat(runs.get()).as("no loser runs").isEqualTo(runsSoFar);
    assertThat(executor.limiter().inFlight()).isZero();
  }

  @Test
  void invokeAnyReturnsTheFirstSuccessAndCancelsTheLosers() throws Exception {
    AdmissionExecutor executor = executor(2);
    AtomicReference<Object> out = new AtomicReference<>();
    Thread caller = caller(() -> executor.invokeAny(
        List.of(task("a"), task("b"), task("c"), task("d"))), out);
    awaitState(executor, caller, 2, 2); // a and b hold the permits, c and d wait

    pool.runNext(); // a succeeds
    caller.join();

    assertThat(out.get()).isEqualTo("a");
    assertNothingLeft(executor, 1);
    assertThat(rejected(executor, RejectReason.QUEUE_TIMEOUT)).isZero();
  }

  @Test
  void invokeAnySkipsShedTasksAndReturnsASuccess() throws Exception {
    AdmissionExecutor executor = executor(2);
    pool.refusals.set(1); // the first task dispatched is shed with QUEUE_FULL
    AtomicReference<Object> out = new AtomicReference<>();
    Thread caller = caller(() -> executor.invokeAny(List.of(task("x"), task("y"))), out);
    awaitState(executor, caller, 1, 0);

    pool.runNext(); // y succeeds
    caller.join();

    assertThat(out.get()).isEqualTo("y");
    assertThat(rejected(executor, RejectReason.QUEUE_FULL)).isEqualTo(1);
    assertNothingLeft(executor, 1);
  }

  @Test
  void invokeAnyThrowsTheLastFailureWhenEveryTaskFails() throws Exception {
    AdmissionExecutor executor = executor(2);
    AtomicReference<Object> out = new AtomicReference<>();
    Thread caller = caller(() -> executor.invokeAny(List.of(failing("a"), failing("b"))), out);
    awaitState(executor, caller, 2, 0);

    pool.runNext();
    pool.runNext();
    caller.join();

    assertThat(out.get()).isInstanceOf(ExecutionException.class);
    assertThat(((Throwable) out.get()).getCause())
        .isInstanceOf(IllegalStateException.class).hasMessage("b");
    assertNothingLeft(executor, 2);
  }

  @Test
  void invokeAnyTimesOutAndCancelsEveryTask() {
    AdmissionExecutor executor = executor(2);
    // A zero timeout: every task is submitted, none completes, the wait gives up at once.
    assertThatThrownBy(() -> executor.invokeAny(
        List.of(task("a"), task("b"), task("c")), 0, TimeUnit.MILLISECONDS))
        .isInstanceOf(TimeoutException.class);
    assertNothingLeft(executor, 0);
  }

  @Test
  void invokeAnyInterruptedCancelsEveryTask() throws Exception {
    AdmissionExecutor executor = executor(1);
    AtomicReference<Object> out = new AtomicReference<>();
    Thread caller = caller(() -> executor.invokeAny(List.of(task("a"), task("b"))), out);
    awaitState(executor, caller, 1, 1);

    caller.interrupt();
    caller.join();

    assertThat(out.get()).isInstanceOf(InterruptedException.class);
    assertNothingLeft(executor, 0);
  }

  @Test
  void invokeAnyRefusedAtSubmissionThrowsTheRefusalAndCancelsTheRest() {
    AdmissionExecutor executor = executor(1);
    executor.shutdown();
    assertThatThrownBy(() -> executor.invokeAny(List.of(task("a"), task("b"))))
        .isInstanceOf(AdmissionRejectedException.class)
        .extracting(e -> ((AdmissionRejectedException) e).reason())
        .isEqualTo(RejectReason.SHUTDOWN);
    assertNothingLeft(executor, 0);
    assertThat(executor.isTerminated()).isTrue();
  }

  @Test
  void invokeAnyOfNoTaskIsAnIllegalArgument() {
    AdmissionExecutor executor = executor(1);
    assertThatThrownBy(() -> executor.invokeAny(List.<Callable<String>>of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> executor.invokeAny(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void invokeAllWaitsForEveryTaskAndReturnsThemInOrder() throws Exception {
    AdmissionExecutor executor = executor(1);
    AtomicReference<Object> out = new AtomicReference<>();
    Thread caller = caller(() -> executor.invokeAll(
        List.of(task("a"), failing("b"), task("c"))), out);
    awaitState(executor, caller, 1, 2);

    for (int i = 0; i < 3; i++) {
      pool.runNext(); // each completion dispatches the next
    }
    caller.join();

    @SuppressWarnings("unchecked")
    List<Future<String>> futures = (List<Future<String>>) out.get();
    assertThat(futures).hasSize(3).allSatisfy(f -> assertThat(f.isDone()).isTrue());
    assertThat(futures.get(0).get()).isEqualTo("a");
    assertThatThrownBy(() -> futures.get(1).get()).hasCauseInstanceOf(IllegalStateException.class);
    assertThat(futures.get(2).get()).isEqualTo("c");
    assertNothingLeft(executor, 3);
  }

  @Test
  void invokeAllTimedOutCancelsWhatHasNotFinished() throws Exception {
    AdmissionExecutor executor = executor(2);
    List<Future<String>> futures = executor.invokeAll(
        List.of(task("a"), task("b"), task("c")), 0, TimeUnit.MILLISECONDS);
    assertThat(futures).hasSize(3).allSatisfy(f -> assertThat(f.isCancelled()).isTrue());
    assertNothingLeft(executor, 0);
  }

  @Test
  void invokeAllInterruptedCancelsEveryTask() throws Exception {
    AdmissionExecutor executor = executor(1);
    AtomicReference<Object> out = new AtomicReference<>();
    Thread caller = caller(() -> executor.invokeAll(List.of(task("a"), task("b"))), out);
    awaitState(executor, caller, 1, 1);

    caller.interrupt();
    caller.join();

    assertThat(out.get()).isInstanceOf(InterruptedException.class);
    assertNothingLeft(executor, 0);
  }

  @Test
  void invokeAllRefusedAtSubmissionCancelsTheOthers() {
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(pool).clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .queueCapacity(0).retryAfterJitter(0).build();
    assertThatThrownBy(() -> executor.invokeAll(List.of(task("a"), task("b"))))
        .isInstanceOf(AdmissionRejectedException.class);
    assertNothingLeft(executor, 0);
  }

  /** Refused at submission or shed after acceptance, for {@code reason}. */
  private static long rejected(AdmissionExecutor executor, RejectReason reason) {
    ExecutorSnapshot s = executor.snapshot();
    return s.rejected(reason) + s.shed(reason);
  }
}
