package io.sluice.executor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/*
 * The executor's ExecutorService lifecycle: running, shut down, stopped (shutdownNow), terminated.
 *
 * The control word `ctl` packs SHUTDOWN and STOP bits with the count of accepted tasks that are
 * not yet settled (run, shed, cancelled or returned by shutdownNow). Submission increments it with
 * a CAS that fails once SHUTDOWN is set, so no task slips in after termination; the decrement that
 * brings a shut-down executor's count to zero counts the termination latch down.
 *
 * shutdownNow() sets STOP; the next dispatch pass empties the queues into `stopped` (the tasks
 * shutdownNow returns) and counts `collected` down, which shutdownNow awaits, so that it returns
 * every task that was queued.
 */
final class ExecutorLifecycle {
  private static final VarHandle CTL;
  private static final long SHUTDOWN = 1L << 62;
  private static final long STOP = 1L << 61;
  private static final long COUNT_MASK = STOP - 1;

  static {
    try {
      CTL = MethodHandles.lookup().findVarHandle(ExecutorLifecycle.class, "ctl", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final CountDownLatch terminated = new CountDownLatch(1);
  private final CountDownLatch collected = new CountDownLatch(1);
  private final ConcurrentLinkedQueue<Runnable> stopped = new ConcurrentLinkedQueue<>();
  private volatile long ctl;

  /** Counts an accepted task in; false once shut down (the task must be refused). */
  boolean enter() {
    long c = ctl;
    for (;;) {
      if ((c & SHUTDOWN) != 0) {
        return false;
      }
      long witness = (long) CTL.compareAndExchange(this, c, c + 1);
      if (witness == c) {
        return true;
      }
      c = witness;
    }
  }

  /** Counts a settled task out; the last one out of a shut-down executor terminates it. */
  void leave() {
    long c = (long) CTL.getAndAdd(this, -1L) - 1;
    if ((c & SHUTDOWN) != 0 && (c & COUNT_MASK) == 0) {
      terminated.countDown();
    }
  }

  /** Whether shutdownNow() was called: queued tasks are collected, not run. */
  boolean stopping() {
    return (ctl & STOP) != 0;
  }

  /** Whether shutdown() or shutdownNow() was called. */
  boolean isShutdown() {
    return (ctl & SHUTDOWN) != 0;
  }

  /** Refuses new tasks from now on. */
  void shutdown() {
    terminateIfIdle((long) CTL.getAndBitwiseOr(this, SHUTDOWN));
  }

  /** Refuses new tasks, and has the queued ones collected instead of run. */
  void stop() {
    terminateIfIdle((long) CTL.getAndBitwiseOr(this, SHUTDOWN | STOP));
  }

  private void terminateIfIdle(long before) {
    if ((before & COUNT_MASK) == 0) {
      terminated.countDown();
    }
  }

  /** Keeps a collected task (a Runnable or a Callable) for shutdownNow() to return. */
  void collect(Object task) {
    stopped.add(asRunnable(task));
  }

  /** Says that the queues were collected; shutdownNow() must return, whatever went wrong. */
  void collectionDone() {
    collected.countDown();
  }

  /** Waits, uninterruptibly, until the queues were collected. */
  void awaitCollection() {
    awaitUninterruptibly(collected);
  }

  /** Returns and forgets the tasks collected so far. */
  List<Runnable> takeCollected() {
    List<Runnable> tasks = new ArrayList<>();
    for (Runnable r = stopped.poll(); r != null; r = stopped.poll()) {
      tasks.add(r);
    }
    return tasks;
  }

  /** Whether the executor is shut down and every accepted task settled. */
  boolean isTerminated() {
    return terminated.getCount() == 0;
  }

  /** Waits up to {@code timeout} for termination; says whether it came. */
  boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return terminated.await(timeout, unit);
  }

  private static Runnable asRunnable(Object task) {
    if (task instanceof Runnable) {
      return (Runnable) task;
    }
    Callable<?> callable = (Callable<?>) task;
    return () -> {
      try {
        callable.call();
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    for (;;) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
