package io.sluice;

/**
 * Encodes and decodes the primitive {@code long} that {@link Limiter#tryAcquire()} returns, so that
 * neither admission nor rejection allocates.
 *
 * <p>A ticket is either a <em>permit</em> (zero or positive) or a <em>rejection</em> (negative).
 * A permit is opaque: pass it back to {@link Limiter#release(long, Outcome)} exactly once. A
 * rejection carries its {@link RejectReason} and a Retry-After hint in nanoseconds:
 *
 * <pre>{@code
 * long ticket = limiter.tryAcquire();
 * if (Ticket.isRejection(ticket)) {
 *   return busy(Ticket.reason(ticket), Ticket.retryAfterNanos(ticket));
 * }
 * }</pre>
 *
 * <p>Three kinds of permit share this encoding, each completed its own way: a {@link Limiter}'s
 * (or a fair-share gate's) is released exactly once with an {@link Outcome}; a circuit breaker's
 * is completed once through the breaker's {@code on...} methods; a rate limiter's (or a token
 * quota's) is never released, since its tokens are time-based and taken for good.
 *
 * <p>Layout of a rejection: {@code ~(retryAfterNanos << 5 | reason.ordinal())}. Retry-After hints
 * up to {@link #MAX_RETRY_AFTER_NANOS} (about nine years) are representable. All methods are pure
 * static functions, safe from any thread.
 */
public final class Ticket {
  private static final int REASON_BITS = 5;
  private static final long REASON_MASK = (1L << REASON_BITS) - 1;

  /** The largest Retry-After a rejection ticket can carry, in nanoseconds. */
  public static final long MAX_RETRY_AFTER_NANOS = Long.MAX_VALUE >>> REASON_BITS;

  private Ticket() {}

  /** Returns whether the ticket is a permit: the work was admitted and must be released once. */
  public static boolean isPermit(long ticket) {
    return ticket >= 0;
  }

  /** Returns whether the ticket is a rejection: the work was not admitted. */
  public static boolean isRejection(long ticket) {
    return ticket < 0;
  }

  /**
   * Returns the reason of a rejection ticket; fails on a permit and on a negative value whose
   * reason bits name no {@link RejectReason} (a corrupted ticket).
   */
  public static RejectReason reason(long ticket) {
    int bits = reasonBits(requireRejection(ticket));
    if (bits >= RejectReason.COUNT) {
      throw new IllegalArgumentException("ticket " + ticket + " carries reason bits " + bits
          + ", which name no RejectReason (ordinals in [0, " + (RejectReason.COUNT - 1) + "])");
    }
    return RejectReason.ofOrdinal(bits);
  }

  /** Returns the Retry-After hint of a rejection ticket, in nanoseconds; fails on a permit. */
  public static long retryAfterNanos(long ticket) {
    return ~requireRejection(ticket) >>> REASON_BITS;
  }

  /**
   * Encodes a rejection; for guards built on a limiter (queues, rate limiters, breakers) that
   * reject for their own reasons.
   *
   * @param retryAfterNanos the hint, in {@code [0, MAX_RETRY_AFTER_NANOS]}
   */
  public static long rejection(RejectReason reason, long retryAfterNanos) {
    if (reason == null) {
      throw new IllegalArgumentException("reason must not be null");
    }
    if (retryAfterNanos < 0 || retryAfterNanos > MAX_RETRY_AFTER_NANOS) {
      throw new IllegalArgumentException("retryAfterNanos must be in [0, " + MAX_RETRY_AFTER_NANOS
          + "] but was " + retryAfterNanos);
    }
    return encodeRejection(reason.ordinal(), retryAfterNanos);
  }

  /** Returns an exception describing a rejection ticket (allocates; not for the hot path). */
  public static AdmissionRejectedException toException(long ticket) {
    return new AdmissionRejectedException(reason(ticket), retryAfterNanos(ticket));
  }

  /**
   * Returns a readable form of any {@code long}, for logs and test messages: a permit, a rejection,
   * or a rejection with an unknown reason when the value is no ticket this library encodes.
   */
  public static String toString(long ticket) {
    if (isPermit(ticket)) {
      return "permit(" + ticket + ")";
    }
    int bits = reasonBits(ticket);
    String reason = bits < RejectReason.COUNT
        ? RejectReason.ofOrdinal(bits).name()
        : "unknown reason " + bits;
    return "rejection(" + reason + ", retryAfter=" + retryAfterNanos(ticket) + "ns)";
  }

  /** Encodes a rejection without checks, for the hot path; the caller guarantees the ranges. */
  static long encodeRejection(int reasonOrdinal, long retryAfterNanos) {
    return ~(retryAfterNanos << REASON_BITS | reasonOrdinal);
  }

  private static int reasonBits(long rejection) {
    return (int) (~rejection & REASON_MASK);
  }

  private static long requireRejection(long ticket) {
    if (ticket >= 0) {
      throw new IllegalArgumentException("ticket must be a rejection (negative) but was the permit "
          + ticket);
    }
    return ticket;
  }
}
