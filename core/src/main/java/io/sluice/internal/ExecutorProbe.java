package io.sluice.internal;

/**
 * What an {@code AdmissionExecutor} tells the metrics beyond its interface; indices are
 * {@code Priority}, {@code RejectReason} and {@code Outcome} ordinals. Counts are cumulative since
 * the executor was built. Not part of the API.
 */
public interface ExecutorProbe {

  /** Returns the tasks of a priority handed to the wrapped executor with a permit. */
  long admitted(int priority);

  /** Returns the tasks of a priority refused at submission for a reason. */
  long refused(int reason, int priority);

  /** Returns the tasks of a priority accepted and later shed for a reason. */
  long shed(int reason, int priority);

  /** Returns the admitted tasks of a priority whose permit was released with an outcome. */
  long completed(int outcome, int priority);

  /** Returns the waits, from submission to admission, of the admitted tasks of a priority. */
  CumulativeHistogram queueWait(int priority);
}
