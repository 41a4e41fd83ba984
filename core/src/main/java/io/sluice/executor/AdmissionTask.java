package io.sluice.executor;

import io.sluice.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RunnableFuture;

/*
 * A task of the AdmissionExecutor: its future (a CompletableFuture, so callers can compose it) and
 * the Runnable handed to the wrapped executor once it holds a permit.
 *
 * The state word makes every transition that owns work exactly-once:
 *
 *   NEW --accept--> QUEUED --dispatch (permit held)--> ADMITTED --run--> RUNNING --> DONE
 *                     |                                  |                 |
 *                     +--cancel, shed, shutdownNow--> DONE                 +--cancel(true)--> INTERRUPTING --> DONE
 *                                                        +--cancel, refused by the delegate--> DONE
 *
 * Whoever wins the CAS out of QUEUED or ADMITTED settles the task's accounting (the permit, if
 * held, and the executor's outstanding count); everyone else leaves it alone. A task still in a
 * queue when it leaves QUEUED is dropped by the dispatcher when it reaches it. run() on a NEW task
 * (one made by newTaskFor and run by someone else, as ExecutorCompletionService does) runs the body
 * directly, like a FutureTask, without a permit.
 *
 * cancel(true) on a RUNNING task follows FutureTask: CAS to INTERRUPTING, interrupt the runner,
 * then set DONE; the runner, finding its CAS RUNNING -> DONE refused, waits for DONE and clears
 * the interrupt, so it never leaks into the next task of a pooled thread.
 *
 * The plain fields (permit, times) are written before the state CAS or the queue publication that
 * hands the task to another thread, and read after the matching CAS or poll.
 */
final class AdmissionTask<T> extends CompletableFuture<T> implements RunnableFuture<T> {
  static final int NEW = 0;
  static final int QUEUED = 1;
  static final int ADMITTED = 2;
  static final int RUNNING = 3;
  static final int INTERRUPTING = 4;
  static final int DONE = 5;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(AdmissionTask.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final QueueingAdmissionExecutor owner;
  /** The task as submitted: a Runnable or a Callable. */
  final Object task;
  final TaskOptions options;
  final boolean longTask;
  private final Callable<T> callable;
  private final Runnable runnable;
  private final T result;

  long permit;
  /** The units the permit holds: the cost, or the whole limit if the cost exceeds it. */
  int units;
  /** Set for tasks of execute(): no future reports their failures, the thread's handler does. */
  boolean reportsFailure;
  /**
   * For a foreign future given to execute() by an ExecutorCompletionService: the
   * task it wraps, made by newTaskFor, which its completion queue hands out. A shed fails it.
   */
  AdmissionTask<?> wrapped;
  long enqueuedNanos;
  long deadlineNanos;
  long dispatchedNanos;
  private volatile int state;
  private volatile Thread runner;

  AdmissionTask(QueueingAdmissionExecutor owner, Callable<T> callable, TaskOptions options,
      boolean longTask) {
    this.owner = owner;
    this.task = callable;
    this.callable = callable;
    this.runnable = null;
    this.result = null;
    this.options = options;
    this.longTask = longTask;
  }

  AdmissionTask(QueueingAdmissionExecutor owner, Runnable runnable, T result, TaskOptions options,
      boolean longTask) {
    this.owner = owner;
    this.task = runnable;
    this.callable = null;
    this.runnable = runnable;
    this.result = result;
    this.options = options;
    this.longTask = longTask;
  }

  int state() {
    return state;
  }

  /** Fails a task that nobody ran (one made by newTaskFor); no-op if it ran or was cancelled. */
  void failUnrun(Throwable failure) {
    if (transition(NEW, DONE)) {
      completeExceptionally(failure);
    }
  }

  boolean transition(int from, int to) {
    return STATE.compareAndSet(this, from, to);
  }

  /** Runs the task: called by the wrapped executor once, after the task was admitted. */
  @Override
  public void run() {
    if (state == NEW) {
      runUnadmitted();
      return;
    }
    runner = Thread.currentThread();
    if (!transition(ADMITTED, RUNNING)) {
      runner = null;
      return;
    }
    Outcome outcome = Outcome.IGNORED;
    try {
      if (!isDone()) {
        outcome = invoke();
      }
    } finally {
      // Even if the failure classifier threw an Error: the permit must be released.
      if (!transition(RUNNING, DONE)) {
        awaitCancellerInterrupt();
        outcome = Outcome.IGNORED;
      }
      runner = null;
      owner.finished(this, outcome);
    }
  }

  /** Runs a task that no executor admitted (a FutureTask-style direct run). */
  private void runUnadmitted() {
    runner = Thread.currentThread();
    if (!transition(NEW, RUNNING)) {
      runner = null;
      return;
    }
    invoke();
    if (!transition(RUNNING, DONE)) {
      awaitCancellerInterrupt();
    }
    runner = null;
  }

  private Outcome invoke() {
    try {
      T value;
      if (callable != null) {
        value = callable.call();
      } else {
        runnable.run();
        value = result;
      }
      complete(value);
      return Outcome.SUCCESS;
    } catch (Throwable failure) {
      completeExceptionally(failure);
      if (reportsFailure) {
        Uncaught.report(failure);
      }
      return owner.classify(failure);
    }
  }

  /** Waits for a concurrent cancel(true) to finish interrupting, then clears its interrupt. */
  private void awaitCancellerInterrupt() {
    while (state == INTERRUPTING) {
      Thread.onSpinWait();
    }
    Thread.interrupted();
  }

  /**
   * Cancels the future; if the task has not started, its permit (if any) is released at once; if it
   * runs and {@code mayInterruptIfRunning}, its thread is interrupted.
   */
  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled) {
      settleCancelled(mayInterruptIfRunning);
    }
    return cancelled;
  }

  private void settleCancelled(boolean interrupt) {
    for (;;) {
      int s = state;
      if (s == NEW && transition(NEW, DONE)) {
        return;
      } else if (s == QUEUED && transition(QUEUED, DONE)) {
        owner.cancelledWhileQueued();
        return;
      } else if (s == ADMITTED && transition(ADMITTED, DONE)) {
        owner.cancelledWhileAdmitted(this);
        return;
      } else if (s == RUNNING) {
        if (!interrupt) {
          return;
        }
        if (transition(RUNNING, INTERRUPTING)) {
          Thread t = runner;
          if (t != null) {
            t.interrupt();
          }
          state = DONE;
          return;
        }
      } else if (s == INTERRUPTING || s == DONE) {
        return;
      }
    }
  }

  @Override
  public String toString() {
    return "AdmissionTask[" + task + ", " + options + ", state=" + state + ", " + super.toString()
        + "]";
  }
}
