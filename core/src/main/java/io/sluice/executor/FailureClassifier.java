package io.sluice.executor;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Decides what a task's exception tells the limiter: {@link Outcome#DROPPED} for an overload signal
 * (the limit should shrink), {@link Outcome#IGNORED} for anything else. A task that returns normally
 * is always {@link Outcome#SUCCESS}, and a cancelled task always {@link Outcome#IGNORED}.
 *
 * <p>Called on the thread that ran the task, right after it threw; must be fast, must not throw
 * (an exception here counts as {@code IGNORED}), and must be safe to call from many threads.
 */
@FunctionalInterface
public interface FailureClassifier {

  /** Returns the outcome of a task that threw {@code failure}: DROPPED or IGNORED (SUCCESS is read as IGNORED). */
  Outcome classify(Throwable failure);

  /**
   * Returns the default rule: {@code DROPPED} for a sign that a downstream is congested,
   * {@code IGNORED} for anything else. The exception and its causes (up to 16 deep) are searched
   * for the first of:
   * <ul>
   *   <li>a {@link TimeoutException}: {@code DROPPED} (a downstream call outlasted its own bound);
   *   <li>an {@link AdmissionRejectedException}, a refusal by another Sluice guard downstream:
   *       {@code DROPPED} for {@code QUEUE_TIMEOUT}, {@code QUEUE_FULL}, {@code PRIORITY_SHED}
   *       and {@code PROCESS_OVERLOADED}: the downstream's own queue stood too long, overflowed,
   *       or is shedding; {@code IGNORED} for {@code LIMIT_REACHED}, {@code DEADLINE},
   *       {@code RATE_LIMITED}, {@code FAIR_SHARE}, {@code CIRCUIT_OPEN} and {@code SHUTDOWN}
   *       (see below);
   *   <li>any other {@link RejectedExecutionException} (a saturated thread pool downstream):
   *       {@code DROPPED}.
   * </ul>
   * Otherwise {@code IGNORED}: a bug or a bad request says nothing about capacity.
   *
   * <p>Why those refusals are not drops. A {@code DROPPED} outcome cuts the limit by up to half,
   * so it must mean that admitting less would have served more. For a guard in front of a pool
   * that is not so:
   * <ul>
   *   <li>{@code LIMIT_REACHED}: the guard protects its pool at its own limit and refuses the
   *       excess at once, at no cost to the pool; a quota ({@code RATE_LIMITED}), a tenant held
   *       to its fair share ({@code FAIR_SHARE}: the tenant's doing, not the server's), an open
   *       breaker ({@code CIRCUIT_OPEN}) and a shutdown are no more caused by upstream
   *       concurrency.
   *   <li>{@code DEADLINE}: the request's own deadline passed while it waited in line for the
   *       pool. Had the executor admitted less, the same request would have waited in the
   *       executor's queue instead and been shed there, which is not a drop either. When more
   *       requests arrive than fit in their deadline, some miss it at any limit; counting them
   *       drives the limit below what keeps the pool busy (40 callers every 300 ms with 300 ms
   *       deadlines on 4 connections serving 100 ms queries, 12 of 40 fit: counted as drops,
   *       the executor's limit fell to 3 to 5 and 3 to 9 were served per round, not 12).
   * </ul>
   * The executor still learns when it admits more than the pool serves: the latency of the work
   * that runs includes its wait in the guard's line.
   */
  static FailureClassifier defaultRule() {
    return DefaultFailureClassifier.INSTANCE;
  }
}

/** The rule of {@link FailureClassifier#defaultRule()}. */
enum DefaultFailureClassifier implements FailureClassifier {
  INSTANCE;

  /** Causes followed at most, so that a cyclic cause chain cannot loop forever. */
  private static final int MAX_DEPTH = 16;

  @Override
  public Outcome classify(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_DEPTH; depth++, t = t.getCause()) {
      if (t instanceof AdmissionRejectedException) {
        return isCapacitySignal(((AdmissionRejectedException) t).reason())
            ? Outcome.DROPPED : Outcome.IGNORED;
      }
      if (t instanceof TimeoutException || t instanceof RejectedExecutionException) {
        return Outcome.DROPPED;
      }
    }
    return Outcome.IGNORED;
  }

  /** Whether a downstream guard's refusal says the work met more load than it could serve. */
  private static boolean isCapacitySignal(RejectReason reason) {
    if (reason == null) {
      return false; // a subclass that hides its reason; classify() must not throw
    }
    switch (reason) {
      case QUEUE_TIMEOUT:
      case QUEUE_FULL:
      case PRIORITY_SHED:
      case PROCESS_OVERLOADED:
        return true;
      default:
        return false;
    }
  }
}
