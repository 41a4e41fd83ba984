package io.sluice.executor;

import io.sluice.NanoClock;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The executor's dispatcher: one thread at a time moves queued tasks to the wrapped executor as
 * permits free up, applying QueueDiscipline's rules; the executor admits and hands over each task
 * (QueueingAdmissionExecutor.tryAdmit and dispatch), TaskRejections sheds.
 *
 * Dispatch without lost wake-ups (the "drain loop" of Caffeine's buffers and reactive libraries):
 * every event that may let a queued task run — a task queued, a permit released, a shutdown —
 * calls drain(), which increments the counter `wip`. The thread whose increment found 0 becomes
 * the dispatcher; it runs a pass over the queues, then subtracts the increments it has seen and
 * runs another pass if more arrived meanwhile. Any other thread returns at once. A task queued
 * while the last permit is released is therefore seen: whichever of the two events comes second
 * either finds wip at 0 and dispatches itself, or leaves an increment that forces another pass
 * after the first event's. The dispatcher takes no lock and never waits; it may call the wrapped
 * executor's execute(), which for a caller-runs executor runs the task inline (its completion's
 * drain() then only leaves an increment).
 *
 * A pass: for each level from CRITICAL_PLUS down, and within a level the regular class before the
 * long class, move the ring into the staging deque, shed from the oldest end (cancelled, past
 * deadline, or older than the CoDel target while the queue stands), then admit from the oldest end
 * (or the newest while the queue stands, if adaptive LIFO is on) until the limiter refuses. A
 * refusal by the limiter stops the pass for all lower levels (strict priority); a refusal by the
 * long-task sub-limit stops only the long class. Lower levels are still purged. The clock is read
 * once per pass, and not at all when every queue is empty (the common case of a release). Once
 * shutdownNow() has been called, a pass empties the queues instead (collectStopped).
 */
final class DispatchLoop {
  private static final VarHandle WIP;

  /** serve(): the queue is empty or the long-task sub-limit refused; lower levels may go on. */
  private static final int PASSED = 0;
  /** serve(): the limiter refused; lower levels wait. */
  private static final int BLOCKED = 1;

  static {
    try {
      WIP = MethodHandles.lookup().findVarHandle(DispatchLoop.class, "wip", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final QueueingAdmissionExecutor executor;
  private final QueueDiscipline queues;
  private final ExecutorLifecycle lifecycle;
  private final TaskRejections rejections;
  private final NanoClock clock;

  private volatile int wip;
  /** The thread running a dispatch pass, if any; lets shutdownNow() from inside a pass collect. */
  private volatile Thread dispatcher;

  DispatchLoop(QueueingAdmissionExecutor executor, QueueDiscipline queues,
      ExecutorLifecycle lifecycle, TaskRejections rejections, NanoClock clock) {
    this.executor = executor;
    this.queues = queues;
    this.lifecycle = lifecycle;
    this.rejections = rejections;
    this.clock = clock;
  }

  /** Whether the calling thread is running a pass (a task it runs inline called back). */
  boolean onDispatcherThread() {
    return dispatcher == Thread.currentThread();
  }

  /** Signals that a queued task may be dispatchable; dispatches unless another thread is. */
  void drain() {
    if ((int) WIP.getAndAdd(this, 1) != 0) {
      return;
    }
    Thread self = Thread.currentThread();
    int missed = 1;
    Error fatal = null;
    for (;;) {
      dispatcher = self;
      try {
        pass();
      } catch (RuntimeException e) {
        // A broken clock or limiter ended the pass. The signals other threads left (one may be
        // shutdownNow() waiting for the queues to be collected) still get their passes below,
        // and the thread whose event this is may be a submitter whose task was accepted.
        Uncaught.report(e);
      } catch (Error e) {
        fatal = fatal == null ? e : fatal;
      } finally {
        dispatcher = null;
      }
      missed = (int) WIP.getAndAdd(this, -missed) - missed;
      if (missed == 0) {
        break;
      }
    }
    if (fatal != null) {
      throw fatal;
    }
  }

  private void pass() {
    if (lifecycle.stopping()) {
      collectStopped();
      return;
    }
    long now = 0;
    boolean clockRead = false;
    boolean blocked = false;
    for (int i = 0; i < queues.size(); i++) {
      TaskQueue queue = queues.at(i);
      if (queue == null || queue.count() == 0) {
        continue;
      }
      if (!clockRead) {
        now = clock.nanoTime(); // once per pass, and only when something waits
        clockRead = true;
      }
      queue.transfer();
      purge(queue, now);
      if (!blocked) {
        blocked = serve(queue, now) == BLOCKED;
        if (lifecycle.stopping()) {
          return; // a task run inline called shutdownNow(), which collected the queues
        }
      }
    }
  }

  /** Sheds from the oldest end: cancelled tasks, expired deadlines, and CoDel timeouts. */
  private void purge(TaskQueue queue, long now) {
    for (AdmissionTask<?> t = queue.oldest(); t != null; t = queue.oldest()) {
      if (!drop(queue, t, false, now)) {
        if (!queues.overstayed(queue, t, now)) {
          return;
        }
        queue.remove(false, now);
        rejections.shedQueued(t, RejectReason.QUEUE_TIMEOUT);
      }
    }
  }

  /** Drops {@code t} (at the given end) if it is settled or past its deadline; true if it did. */
  private boolean drop(TaskQueue queue, AdmissionTask<?> t, boolean newest, long now) {
    if (t.state() != AdmissionTask.QUEUED || t.isDone()) {
      queue.remove(newest, now);
      if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
        lifecycle.leave(); // completed by its caller while queued
      }
      return true;
    }
    if (t.options.hasDeadline() && t.deadlineNanos - now <= 0) {
      queue.remove(newest, now);
      rejections.shedQueued(t, RejectReason.DEADLINE);
      return true;
    }
    return false;
  }

  /** Admits tasks from one queue until it is empty or refused; returns PASSED or BLOCKED. */
  private int serve(TaskQueue queue, long now) {
    for (;;) {
      boolean newest = queues.servesNewest(queue, now);
      AdmissionTask<?> t = newest ? queue.newest() : queue.oldest();
      if (t == null) {
        return PASSED;
      }
      if (drop(queue, t, newest, now)) {
        continue;
      }
      long ticket;
      try {
        ticket = executor.tryAdmit(t);
      } catch (IllegalArgumentException e) {
        queue.remove(newest, now);
        if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
          t.completeExceptionally(e);
          lifecycle.leave();
        }
        continue;
      }
      if (Ticket.isRejection(ticket)) {
        return ticket == QueueingAdmissionExecutor.SUB_LIMITED ? PASSED : BLOCKED;
      }
      queue.remove(newest, now);
      executor.dispatch(t, ticket, now);
      if (lifecycle.stopping()) {
        return PASSED;
      }
    }
  }

  /** Empties every queue into the tasks shutdownNow returns, each shed with SHUTDOWN. */
  void collectStopped() {
    try {
      long now = clock.nanoTime();
      for (int i = 0; i < queues.size(); i++) {
        TaskQueue queue = queues.at(i);
        if (queue == null) {
          continue;
        }
        queue.transfer();
        for (AdmissionTask<?> t = queue.remove(false, now); t != null;
            t = queue.remove(false, now)) {
          if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
            lifecycle.collect(t.task);
            rejections.shed(t, RejectReason.SHUTDOWN, 0L, null);
          }
        }
      }
    } finally {
      lifecycle.collectionDone(); // shutdownNow() must return, whatever went wrong
    }
  }
}
