package io.sluice.servlet;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The standard {@link OutcomeMapping}, and the classification of failures that the filter needs
 * before it can name an {@link OutcomeMapping.Ending}.
 *
 * <p>Containers report a client that went away with exceptions of their own, which this module
 * cannot name as types without depending on them: Tomcat's {@code ClientAbortException}, Jetty's
 * {@code EofException} (an {@link EOFException}), Reactor Netty's
 * {@code AbortedException}, or a plain {@link IOException} whose message says "Broken pipe" or
 * "Connection reset". They are recognised by simple class name and by message, along the cause
 * chain, as other servlet-based frameworks do. Only failures are classified, so none of this runs
 * on the path of a request that completes.
 */
final class StandardOutcomes implements OutcomeMapping {
  static final StandardOutcomes INSTANCE = new StandardOutcomes();

  /** How far down a cause chain to look: wrappers nest a few deep; a cycle must not loop. */
  private static final int MAX_DEPTH = 16;

  private StandardOutcomes() {}

  @Override
  public Outcome outcome(Ending ending, int status, Throwable failure) {
    switch (ending) {
      case COMPLETED:
        if (status < 400) {
          return Outcome.SUCCESS;
        }
        return status == 503 || status == 504 ? Outcome.DROPPED : Outcome.IGNORED;
      case TIMED_OUT:
        return Outcome.DROPPED;
      case FAILED:
        return isCapacitySignal(failure) ? Outcome.DROPPED : Outcome.IGNORED;
      default:
        return Outcome.IGNORED;
    }
  }

  @Override
  public String toString() {
    return "OutcomeMapping.standard()";
  }

  /** Returns whether {@code failure}, or a cause of it, says the server had no capacity. */
  static boolean isCapacitySignal(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_DEPTH; depth++, t = t.getCause()) {
      if (t instanceof TimeoutException || t instanceof SocketTimeoutException
          || t instanceof RejectedExecutionException || t instanceof AdmissionRejectedException) {
        return true;
      }
    }
    return false;
  }

  /** Returns whether {@code failure}, or a cause of it, is a container's sign of a client gone. */
  static boolean isClientAbort(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < MAX_DEPTH; depth++, t = t.getCause()) {
      for (Class<?> c = t.getClass(); c != null && c != Throwable.class; c = c.getSuperclass()) {
        String name = c.getSimpleName();
        if (c == EOFException.class || name.equals("ClientAbortException")
            || name.equals("EofException") || name.equals("AbortedException")) {
          return true;
        }
      }
      if (t instanceof IOException && t.getMessage() != null
          && (contains(t.getMessage(), "broken pipe")
              || contains(t.getMessage(), "connection reset"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(String text, String lowerCase) {
    for (int i = 0; i + lowerCase.length() <= text.length(); i++) {
      if (text.regionMatches(true, i, lowerCase, 0, lowerCase.length())) {
        return true;
      }
    }
    return false;
  }
}
