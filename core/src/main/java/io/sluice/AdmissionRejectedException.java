package io.sluice;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;

/**
 * Work was not admitted: thrown by guards (executors, pools) and carried by the futures of work they
 * shed. Gives the {@link RejectReason} and a Retry-After hint, so a server can answer "503, retry
 * after N seconds" and a client can wait that long.
 *
 * <p>Immutable; the stack trace is not filled in, because a rejection is a normal, frequent event
 * under overload and its origin is always the guard that threw it.
 */
public class AdmissionRejectedException extends RejectedExecutionException {
  private static final long serialVersionUID = 1L;

  private final RejectReason reason;
  private final long retryAfterNanos;

  /** Creates an exception for a rejection with the given reason and hint (nanoseconds, zero or more). */
  public AdmissionRejectedException(RejectReason reason, long retryAfterNanos) {
    super("rejected: " + reason + ", retry after " + retryAfterNanos + " ns");
    if (reason == null) {
      throw new IllegalArgumentException("reason must not be null");
    }
    if (retryAfterNanos < 0) {
      throw new IllegalArgumentException(
          "retryAfterNanos must be in [0, " + Long.MAX_VALUE + "] but was " + retryAfterNanos);
    }
    this.reason = reason;
    this.retryAfterNanos = retryAfterNanos;
  }

  /** Skips the stack walk: rejections are frequent under overload and their origin is known. */
  @Override
  public Throwable fillInStackTrace() {
    return this;
  }

  /** Returns why the work was rejected. */
  public RejectReason reason() {
    return reason;
  }

  /** Returns the Retry-After hint in nanoseconds. */
  public long retryAfterNanos() {
    return retryAfterNanos;
  }

  /** Returns the Retry-After hint. */
  public Duration retryAfter() {
    return Duration.ofNanos(retryAfterNanos);
  }

  /**
   * Returns the hint in whole seconds, rounded up and at least one: the {@code Retry-After}
   * delay-seconds value of RFC 9110, section 10.2.3.
   */
  public long retryAfterSeconds() {
    // Divide, then round: adding 999_999_999 first would overflow near Long.MAX_VALUE.
    long seconds = retryAfterNanos / 1_000_000_000L;
    if (retryAfterNanos % 1_000_000_000L != 0) {
      seconds++;
    }
    return Math.max(1L, seconds);
  }
}
