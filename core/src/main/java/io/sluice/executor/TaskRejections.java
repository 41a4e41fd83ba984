package io.sluice.executor;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import io.sluice.RejectionListener;
import io.sluice.internal.RetryAfterEstimator;
import java.util.concurrent.Future;

/*
 * How the executor settles a task it turns away: refused at submission (the caller gets the
 * exception) or shed after it was accepted (from a queue, by the wrapped executor, at shutdownNow;
 * the task's future gets it). Either way the refusal is counted first, the task completed with an
 * AdmissionRejectedException, and the listeners told last; a listener's exception is discarded and
 * even an Error from one leaves the task settled and counted out of the lifecycle, so that
 * termination happens-after every listener call.
 *
 * The Retry-After of the executor's own refusals is the limiter's estimate for a request that
 * would join the queue behind the tasks queued at its level and above, jittered once with the
 * executor's jitter, within the limiter's range (see RetryAfterEstimator). A refusal by the limiter
 * itself carries the limiter's own value instead, which the caller passes through.
 */
final class TaskRejections {
  private final Limiter limiter;
  private final QueueDiscipline queues;
  private final ExecutorCounters counters;
  private final ExecutorLifecycle lifecycle;
  private final RejectionListener rejectionListener;
  private final ShedListener shedListener;
  private final double retryAfterJitter;

  TaskRejections(Limiter limiter, QueueDiscipline queues, ExecutorCounters counters,
      ExecutorLifecycle lifecycle, RejectionListener rejectionListener, ShedListener shedListener,
      double retryAfterJitter) {
    this.limiter = limiter;
    this.queues = queues;
    this.counters = counters;
    this.lifecycle = lifecycle;
    this.rejectionListener = rejectionListener;
    this.shedListener = shedListener;
    this.retryAfterJitter = retryAfterJitter;
  }

  /**
   * Settles a task refused at submission and returns the exception to throw. Listeners are told
   * last, and even an Error from one leaves the task settled (the same holds for shed()).
   */
  AdmissionRejectedException refuse(AdmissionTask<?> task, RejectReason reason,
      long retryAfterNanos) {
    AdmissionRejectedException e = rejection(reason, task, retryAfterNanos, false);
    task.completeExceptionally(e);
    try {
      notifyRejected(reason, task, retryAfterNanos);
    } finally {
      if (task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
        lifecycle.leave();
      }
    }
    return e;
  }

  /** Settles a task the executor itself refused at submission, with its own Retry-After. */
  AdmissionRejectedException refuse(AdmissionTask<?> task, RejectReason reason) {
    return refuse(task, reason, retryAfter(task.options.priority().ordinal()));
  }

  /** Counts a refusal at submission (or a later shed) and returns its exception. */
  AdmissionRejectedException rejection(RejectReason reason, AdmissionTask<?> task,
      long retryAfterNanos, boolean shed) {
    counters.rejected(reason, task.options.priority().ordinal(), shed);
    return new AdmissionRejectedException(reason, retryAfterNanos);
  }

  /** Tells the rejection listener, if any; its exceptions are discarded. */
  void notifyRejected(RejectReason reason, AdmissionTask<?> task, long retryAfterNanos) {
    RejectionListener listener = rejectionListener;
    if (listener != null) {
      try {
        listener.onRejected(reason, task.options.priority(), retryAfterNanos);
      } catch (RuntimeException ignored) {
        // Documented: the rejection stands whatever the listener does.
      }
    }
  }

  /** Sheds a task taken from its queue, unless its caller settled it first. */
  void shedQueued(AdmissionTask<?> t, RejectReason reason) {
    if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
      shed(t, reason, retryAfter(t.options.priority().ordinal()), null);
    }
  }

  /** Completes an accepted task exceptionally with a rejection; the caller won its state CAS. */
  void shed(AdmissionTask<?> t, RejectReason reason, long retryAfterNanos, Throwable cause) {
    AdmissionRejectedException e = rejection(reason, t, retryAfterNanos, true);
    if (cause != null) {
      e.initCause(cause);
    }
    try {
      t.completeExceptionally(e);
      if (t.task instanceof Future<?>) {
        cancelForeign(t, e);
      }
      notifyRejected(reason, t, retryAfterNanos);
      if (shedListener != null) {
        try {
          shedListener.onShed(t.task, e);
        } catch (RuntimeException ignored) {
          // Documented: the listener's exceptions are discarded.
        }
      }
    } finally {
      lifecycle.leave(); // after the listeners, so that termination happens-after them
    }
  }

  /** A shed foreign future (a FutureTask given to execute()) would otherwise never complete. */
  private static void cancelForeign(AdmissionTask<?> t, AdmissionRejectedException e) {
    if (t.wrapped != null) {
      t.wrapped.failUnrun(e); // before the wrapper's done() hands it to a completion queue
    }
    try {
      ((Future<?>) t.task).cancel(false);
    } catch (RuntimeException doneHookFailed) {
      Uncaught.report(doneHookFailed);
    }
  }

  /**
   * The Retry-After of the executor's own refusals: the limiter's estimate for a request that
   * would join the queue behind the tasks queued at {@code level} and above, jittered once with
   * this executor's jitter, within the limiter's range (see RetryAfterEstimator).
   */
  long retryAfter(int level) {
    return RetryAfterEstimator.advertise(limiter, queues.queuedUpTo(level), retryAfterJitter);
  }
}
