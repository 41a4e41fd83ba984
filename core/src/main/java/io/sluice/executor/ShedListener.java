package io.sluice.executor;

import io.sluice.AdmissionRejectedException;

/**
 * Told of every task the {@link AdmissionExecutor} accepted and later shed (queue timeout, deadline,
 * priority, shutdown, or a refusal by the wrapped executor). A task given to
 * {@link AdmissionExecutor#submit} learns it from its future; a task given to
 * {@link AdmissionExecutor#execute(Runnable)} has no future, so this is how its caller can answer
 * it (for example with a 503 and the Retry-After).
 *
 * <p>Called on the thread that shed the task (often one releasing a permit); must be fast and safe
 * to call from many threads. An exception thrown here is discarded.
 */
@FunctionalInterface
public interface ShedListener {

  /** Receives the task as submitted (a {@code Runnable} or {@code Callable}) and why it was shed. */
  void onShed(Object task, AdmissionRejectedException rejection);
}
