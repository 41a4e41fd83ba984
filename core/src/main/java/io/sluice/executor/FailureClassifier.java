package io.sluice.executor;

import io.sluice.Outcome;
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
   * Returns the default rule: {@code DROPPED} if the exception or any of its causes is a
   * {@link TimeoutException} or a {@link RejectedExecutionException} (a downstream timeout or
   * refusal, including another guard's {@link io.sluice.AdmissionRejectedException}); otherwise
   * {@code IGNORED} (a bug or a bad request says nothing about capacity).
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
      if (t instanceof TimeoutException || t instanceof RejectedExecutionException) {
        return Outcome.DROPPED;
      }
    }
    return Outcome.IGNORED;
  }
}
