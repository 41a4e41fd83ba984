package io.sluice.examples.http;

import io.sluice.AdmissionRejectedException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Thread factories of the examples: daemon threads, so that a demo's JVM exits when main ends. */
public final class DaemonThreads {
  /**
   * An uncaught-exception handler that drops {@link AdmissionRejectedException}s (a refusal the
   * task answered before rethrowing it) and hands anything else to the default handling.
   */
  static final Thread.UncaughtExceptionHandler ANSWERED_REFUSALS_ARE_SILENT = (thread, e) -> {
    if (!(e instanceof AdmissionRejectedException)) {
      thread.getThreadGroup().uncaughtException(thread, e);
    }
  };

  private DaemonThreads() {}

  /** Returns a factory of daemon threads named {@code prefix1}, {@code prefix2}, ... */
  public static ThreadFactory named(String prefix) {
    return named(prefix, null);
  }

  /**
   * Returns a factory of daemon threads named {@code prefix1}, {@code prefix2}, ..., each with
   * {@code handler} (none, the default handling, when null).
   */
  public static ThreadFactory named(String prefix, Thread.UncaughtExceptionHandler handler) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread t = new Thread(runnable, prefix + count.incrementAndGet());
      t.setDaemon(true);
      if (handler != null) {
        t.setUncaughtExceptionHandler(handler);
      }
      return t;
    };
  }
}
