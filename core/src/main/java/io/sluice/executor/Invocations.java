package io.sluice.executor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The executor's invokeAll and invokeAny. Both make and accept the executor's own tasks, as
 * submit() does, and wait on the tasks' own futures: there is no wrapper whose task must be found
 * again, so they need no per-thread state and nothing a nested call or another caller on the
 * thread can disturb. A shed task completes exceptionally like any failure. Whatever ends the call
 * (a result, the last failure, a refusal at submission, a timeout, an interrupt), every task is
 * cancelled on the way out, so a loser leaves its queue, releases its permit, or is never
 * submitted. Timeouts are waits of the calling thread and read System.nanoTime(), as Future.get
 * does, not the executor's clock.
 *
 * <p>Called by any thread; a call's state is its own (its tasks and, for invokeAny, its completion
 * queue), so calls on one executor are independent.
 */
final class Invocations {

  private Invocations() {}

  static <T> List<Future<T>> invokeAll(QueueingAdmissionExecutor executor,
      Collection<? extends Callable<T>> tasks, boolean timed, long timeoutNanos)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    List<AdmissionTask<T>> made = executor.newTasks(tasks);
    List<Future<T>> futures = new ArrayList<>(made);
    boolean complete = false;
    try {
      for (int i = 0; i < made.size(); i++) {
        if (timed && (i == 0 ? timeoutNanos : deadline - System.nanoTime()) <= 0) {
          return futures; // the rest are cancelled below, unsubmitted
        }
        executor.accept(made.get(i));
      }
      for (AdmissionTask<T> task : made) {
        if (!awaitDone(task, timed, deadline)) {
          return futures;
        }
      }
      complete = true;
      return futures;
    } finally {
      if (!complete) {
        cancelAll(made);
      }
    }
  }

  /** Waits until {@code task} is done; false if the deadline passed first. */
  private static boolean awaitDone(AdmissionTask<?> task, boolean timed, long deadline)
      throws InterruptedException {
    try {
      if (!timed) {
        task.get();
      } else if (!task.isDone()) {
        task.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException | CancellationException failedOrCancelled) {
      // Done: invokeAll hands the future back as it is.
    } catch (TimeoutException e) {
      return false;
    }
    return true;
  }

  /**
   * Accepts one task at a time, and the next only while no task has completed yet (so a task
   * that succeeds at once spares the others their admission), as the JDK's invokeAny does.
   */
  static <T> T invokeAny(QueueingAdmissionExecutor executor,
      Collection<? extends Callable<T>> tasks, boolean timed, long timeoutNanos)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + timeoutNanos;
    List<AdmissionTask<T>> made = executor.newTasks(tasks);
    if (made.isEmpty()) {
      throw new IllegalArgumentException("tasks must not be empty");
    }
    LinkedBlockingQueue<AdmissionTask<T>> completed = new LinkedBlockingQueue<>();
    ExecutionException failure = null;
    try {
      int submitted = 0;
      int active = 0;
      for (;;) {
        AdmissionTask<T> done = completed.poll();
        if (done == null) {
          if (submitted < made.size()) {
            AdmissionTask<T> next = made.get(submitted++);
            next.whenComplete((value, thrown) -> completed.add(next));
            active++;
            executor.accept(next);
            continue;
          }
          if (active == 0) {
            break;
          }
          done = timed
              ? completed.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
              : completed.take();
          if (done == null) {
            throw new TimeoutException("no task succeeded within " + timeoutNanos + " ns");
          }
        }
        active--;
        try {
          return done.get();
        } catch (ExecutionException e) {
          failure = e;
        } catch (CancellationException e) {
          failure = new ExecutionException("a task was cancelled", e);
        }
      }
      throw failure != null ? failure : new ExecutionException("no task completed", null);
    } finally {
      cancelAll(made);
    }
  }

  /** Cancels every task not done: a queued one leaves its queue, an admitted one its permit. */
  private static void cancelAll(List<? extends AdmissionTask<?>> tasks) {
    for (AdmissionTask<?> task : tasks) {
      task.cancel(true);
    }
  }
}
