package io.sluice.executor;

/**
 * Reports a failure that no caller can receive to the current thread's
 * {@link Thread.UncaughtExceptionHandler}, as {@code ThreadPoolExecutor} does for the tasks of
 * {@code execute()}, but without letting it end the thread: the executor's accounting must go on
 * after it. A handler that throws is ignored, as the JVM ignores it for a dying thread.
 */
final class Uncaught {
  private Uncaught() {
  }

  /** Hands {@code failure} to the current thread's handler. */
  static void report(Throwable failure) {
    Thread self = Thread.currentThread();
    try {
      self.getUncaughtExceptionHandler().uncaughtException(self, failure);
    } catch (Throwable ignored) {
      // Nothing is left to tell; the executor's accounting must not depend on the handler.
    }
  }
}
