package io.sluice.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.sluice.RejectReason;
import io.sluice.Ticket;

/**
 * The answer to a call that Sluice refuses: a {@link Status} and trailers, from a rejection ticket.
 *
 * <table>
 *   <caption>Status by reason</caption>
 *   <tr><th>the rejection's reason</th><th>status code</th></tr>
 *   <tr><td>{@code RATE_LIMITED}: a quota the client used up</td>
 *       <td>{@code RESOURCE_EXHAUSTED}</td></tr>
 *   <tr><td>every other reason: the server has no capacity now</td>
 *       <td>{@code UNAVAILABLE}, or {@code RESOURCE_EXHAUSTED} from {@link #overloadCode}</td></tr>
 * </table>
 *
 * <p>The description names the reason and the wait ({@code "sluice LIMIT_REACHED: the server is
 * at its concurrency limit; retry after 120 ms"}), and the trailer {@link #RETRY_PUSHBACK_MS}
 * carries the rejection's Retry-After in whole milliseconds, rounded up and never 0 (gRPC's retry
 * design, proposal A6: a client that honours it, grpc-java's own retries included, waits that long
 * before it tries again).
 *
 * <p>Immutable and thread-safe. Making a refusal allocates its description and trailers (the
 * limiter's reject path before it allocates nothing).
 */
public final class GrpcRefusals {
  /** The trailer that tells a refused client how long to wait, in milliseconds (gRPC A6). */
  public static final Metadata.Key<String> RETRY_PUSHBACK_MS =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  private static final long NANOS_PER_MILLI = 1_000_000L;
  private static final RejectReason[] REASONS = RejectReason.values();
  /** Built after the constants its constructor reads. */
  private static final GrpcRefusals STANDARD = new GrpcRefusals(Status.Code.UNAVAILABLE);

  private final Status.Code overloadCode;
  /** The status of each reason, by ordinal, without the wait. */
  private final Status[] statuses = new Status[REASONS.length];

  private GrpcRefusals(Status.Code overloadCode) {
    this.overloadCode = overloadCode;
    for (RejectReason reason : REASONS) {
      Status.Code code = reason == RejectReason.RATE_LIMITED
          ? Status.Code.RESOURCE_EXHAUSTED : overloadCode;
      statuses[reason.ordinal()] = code.toStatus();
    }
  }

  /** Returns the refusals that answer an overload {@code UNAVAILABLE} (the usual choice). */
  public static GrpcRefusals standard() {
    return STANDARD;
  }

  /**
   * Returns the refusals that answer an overload with {@code code}: {@code UNAVAILABLE} (what
   * gRPC clients retry by default) or {@code RESOURCE_EXHAUSTED} (for clients that back off only
   * on that code). A quota refusal is {@code RESOURCE_EXHAUSTED} either way.
   *
   * @throws IllegalArgumentException if {@code code} is neither
   */
  public static GrpcRefusals overloadCode(Status.Code code) {
    if (code != Status.Code.UNAVAILABLE && code != Status.Code.RESOURCE_EXHAUSTED) {
      throw new IllegalArgumentException(
          "overloadCode must be UNAVAILABLE or RESOURCE_EXHAUSTED but was " + code);
    }
    return code == Status.Code.UNAVAILABLE ? STANDARD : new GrpcRefusals(code);
  }

  /** Returns the code of a refusal for overload (every reason but {@code RATE_LIMITED}). */
  public Status.Code overloadCode() {
    return overloadCode;
  }

  /**
   * Returns the status of a refusal: its code and a description naming the reason and the wait.
   *
   * @throws IllegalArgumentException if {@code rejection} is a permit
   */
  public Status status(long rejection) {
    RejectReason reason = Ticket.reason(rejection);
    return statuses[reason.ordinal()].withDescription("sluice " + reason + ": " + describe(reason)
        + "; retry after " + pushbackMillis(Ticket.retryAfterNanos(rejection)) + " ms");
  }

  /**
   * Returns new trailers for a refusal: {@link #RETRY_PUSHBACK_MS} with its wait.
   *
   * @throws IllegalArgumentException if {@code rejection} is a permit
   */
  public Metadata trailers(long rejection) {
    Metadata trailers = new Metadata();
    trailers.put(RETRY_PUSHBACK_MS,
        Long.toString(pushbackMillis(Ticket.retryAfterNanos(rejection))));
    return trailers;
  }

  /**
   * Closes {@code call} with the refusal of {@code rejection}, its status and trailers. The call's
   * handler is never started: return a listener that ignores everything from the interceptor.
   *
   * @throws IllegalArgumentException if {@code rejection} is a permit
   */
  public void refuse(ServerCall<?, ?> call, long rejection) {
    Checks.notNull("call", call);
    call.close(status(rejection), trailers(rejection));
  }

  /**
   * Returns the pushback of a Retry-After: whole milliseconds rounded up, at least 1 (0 would
   * tell the client to come straight back) and at most {@link Integer#MAX_VALUE} (a larger value
   * is not a valid pushback, which clients read as "do not retry").
   *
   * @param retryAfterNanos zero or more
   */
  public static long pushbackMillis(long retryAfterNanos) {
    if (retryAfterNanos < 0) {
      throw new IllegalArgumentException(
          "retryAfterNanos must be in [0, " + Long.MAX_VALUE + "] but was " + retryAfterNanos);
    }
    long millis = retryAfterNanos / NANOS_PER_MILLI
        + (retryAfterNanos % NANOS_PER_MILLI == 0 ? 0 : 1);
    return Math.min(Integer.MAX_VALUE, Math.max(1L, millis));
  }

  @Override
  public String toString() {
    return "GrpcRefusals[overload " + overloadCode + ", quota RESOURCE_EXHAUSTED]";
  }

  private static String describe(RejectReason reason) {
    switch (reason) {
      case LIMIT_REACHED:
        return "the server is at its concurrency limit";
      case QUEUE_FULL:
        return "the server's admission queue is full";
      case QUEUE_TIMEOUT:
        return "the call waited for capacity longer than the server allows";
      case DEADLINE:
        return "the call could not be served within its deadline";
      case SHUTDOWN:
        return "the server is shutting down";
      case PRIORITY_SHED:
        return "calls of this priority are shed while more important work waits";
      case RATE_LIMITED:
        return "the client's quota is used up";
      case CIRCUIT_OPEN:
        return "a dependency of the server is failing";
      default:
        return "the server is overloaded";
    }
  }
}
