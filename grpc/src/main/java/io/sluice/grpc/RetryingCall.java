package io.sluice.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.client.RetryCall;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One logical call of the application, made as one or more attempts on the next channel.
 *
 * <p>Design. The application drives this call from one thread at a time (the ClientCall
 * contract), except {@link #request} and {@link #cancel}, which may come from any thread. Each
 * attempt's callbacks arrive serialized on gRPC's call executor, and a retry starts on the
 * scheduler. The state those threads share is a few volatile fields, with no lock:
 * <ul>
 *   <li>{@code attempt}, the attempt started last, published after its {@code start}, so that a
 *       request or a cancel never reaches a call that is not started. It is published by
 *       compare-and-set, and never over a later attempt: with direct executors an attempt may
 *       be refused within its own start, and its retry start and publish itself (on the
 *       scheduler's thread, or even on this one) before that start returns.
 *   <li>{@code requested}, the messages the application asked for. Each attempt counts what it
 *       has forwarded and moves that count up by compare-and-set before forwarding the
 *       difference, so that a request racing with the start of a retry reaches the new attempt
 *       exactly once, whichever thread forwards it: the requester adds then reads
 *       {@code attempt}; the retry publishes {@code attempt} then reads {@code requested}.
 *   <li>{@code cancelled} and {@code pendingRetry}: the canceller writes the first and reads the
 *       second; the thread that schedules a retry writes the second and reads the first; so at
 *       least one of them sees the other, and the one whose {@code ScheduledFuture.cancel}
 *       succeeds tells the application. A retry that was already running checks
 *       {@code cancelled} before and after it publishes its attempt.
 *   <li>{@code closed}: the application's listener hears {@code onClose} once, from whichever
 *       path wins its compare-and-set.
 * </ul>
 * The fields the application writes before the first attempt (listener, headers, message) are
 * published to the attempt threads by the start of that attempt; the {@link RetryCall} is
 * confined to the chain attempt, its close, the scheduled retry, which hands over by gRPC's and
 * the scheduler's happens-before edges.
 */
final class RetryingCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
  private static final VarHandle ATTEMPT;
  private static final VarHandle REQUESTED;
  private static final VarHandle CLOSED;
  private static final VarHandle FORWARDED;
  private static final int UNSET = -1;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      ATTEMPT = lookup.findVarHandle(RetryingCall.class, "attempt", RetryingCall.Attempt.class);
      REQUESTED = lookup.findVarHandle(RetryingCall.class, "requested", long.class);
      CLOSED = lookup.findVarHandle(RetryingCall.class, "closed", boolean.class);
      FORWARDED = lookup.findVarHandle(RetryingCall.Attempt.class, "forwarded", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final RetryClientInterceptor owner;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final Channel next;
  private final Context context;
  private final RetryCall retry;
  private final boolean retryable;

  // Written by the application before the first attempt starts; read by the attempts after.
  private Listener<RespT> listener;
  private Metadata headers;
  private ReqT message;
  private List<ReqT> moreMessages;
  private int compression = UNSET;

  private volatile Attempt attempt;
  @SuppressWarnings("unused") // read and written through REQUESTED
  private volatile long requested;
  private volatile boolean cancelled;
  private volatile ScheduledFuture<?> pendingRetry;
  @SuppressWarnings("unused") // read and written through CLOSED
  private volatile boolean closed;

  RetryingCall(RetryClientInterceptor owner, MethodDescriptor<ReqT, RespT> method,
      CallOptions options, Channel next, boolean retryable) {
    this.owner = owner;
    this.method = method;
    this.options = options;
    this.next = next;
    this.context = Context.current();
    this.retry = owner.policy().newCall();
    this.retryable = retryable;
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    if (this.listener != null) {
      throw new IllegalStateException("already started");
    }
    this.listener = Checks.notNull("responseListener", responseListener);
    Checks.notNull("headers", headers);
    if (retryable) {
      this.headers = copy(headers); // the first attempt starts at halfClose, with the message
    } else {
      startAttempt(headers, false);
    }
  }

  @Override
  public void request(int numMessages) {
    if (numMessages < 0) {
      throw new IllegalArgumentException("numMessages must not be negative but was "
          + numMessages);
    }
    REQUESTED.getAndAdd(this, (long) numMessages);
    Attempt a = attempt;
    if (a != null) {
      a.forwardRequests();
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    cancelled = true;
    ScheduledFuture<?> retrying = pendingRetry;
    if (retrying != null && retrying.cancel(false)) {
      closeToApplication(cancelStatus(message, cause), new Metadata(), false);
      return;
    }
    Attempt a = attempt;
    if (a != null) {
      a.call.cancel(message, cause); // its onClose tells the application, or a retry sees it
    } else if (listener != null) {
      closeToApplication(cancelStatus(message, cause), new Metadata(), false);
    }
  }

  @Override
  public void halfClose() {
    if (retryable) {
      startAttempt(null, false);
      return;
    }
    Attempt a = attempt;
    if (a != null) {
      a.call.halfClose();
    }
  }

  @Override
  public void sendMessage(ReqT message) {
    if (!retryable) {
      Attempt a = attempt;
      if (a != null) {
        a.call.sendMessage(message);
      }
    } else if (this.message == null) {
      this.message = message;
    } else { // a unary call sends one message; gRPC answers more with an error, so keep them
      if (moreMessages == null) {
        moreMessages = new ArrayList<>(1);
      }
      moreMessages.add(message);
    }
  }

  @Override
  public boolean isReady() {
    Attempt a = attempt;
    return a != null && a.call.isReady();
  }

  @Override
  public void setMessageCompression(boolean enabled) {
    compression = enabled ? 1 : 0;
    Attempt a = attempt;
    if (a != null) {
      a.call.setMessageCompression(enabled);
    }
  }

  @Override
  public Attributes getAttributes() {
    Attempt a = attempt;
    return a == null ? Attributes.EMPTY : a.call.getAttributes();
  }

  @Override
  public String toString() {
    return "RetryingCall[" + method.getFullMethodName() + ", " + retry + "]";
  }

  /**
   * Starts an attempt, unless the call was cancelled or the policy refuses it locally.
   *
   * @param firstHeaders the application's headers for a call that is not retried (used once);
   *     null to send a copy of the saved ones
   * @param scheduled whether a retry runs this, on the scheduler's thread
   */
  private void startAttempt(Metadata firstHeaders, boolean scheduled) {
    if (cancelled) {
      closeToApplication(Status.CANCELLED.withDescription("cancelled before a retry"),
          new Metadata(), false);
      return;
    }
    long permit = retry.tryAttempt();
    if (Ticket.isRejection(permit)) {
      refusedLocally(permit);
      return;
    }
    Attempt a = new Attempt(permit, retry.attempts());
    Context previous = context.attach();
    try {
      a.call = next.newCall(method, options);
      if (compression != UNSET) {
        a.call.setMessageCompression(compression == 1);
      }
      a.call.start(a, firstHeaders != null ? firstHeaders : copy(headers));
      if (!publish(a)) {
        // The attempt was refused within its own start (direct executors) and its retry took
        // its place before that start returned: the retry carries the call; this one is over.
        return;
      }
      if (scheduled && cancelled) { // the application cancelled while this retry was starting
        a.call.cancel("cancelled before a retry", null);
      }
      if (retryable) {
        if (message != null) {
          a.call.sendMessage(message);
        }
        if (moreMessages != null) {
          for (ReqT m : moreMessages) {
            a.call.sendMessage(m);
          }
        }
        a.call.halfClose();
      }
      a.forwardRequests();
    } finally {
      context.detach(previous);
    }
  }

  /** Publishes {@code a} as the current attempt unless a later one already is; returns which. */
  private boolean publish(Attempt a) {
    for (;;) {
      Attempt current = attempt;
      if (current != null && current.number > a.number) {
        return false;
      }
      if (ATTEMPT.compareAndSet(this, current, a)) {
        return true;
      }
    }
  }

  /** Starts a retry on the scheduler; a failure to start ends the call rather than vanishing. */
  private void retryNow() {
    try {
      startAttempt(null, true);
    } catch (RuntimeException | Error e) {
      closeToApplication(Status.INTERNAL.withDescription("a retry could not start").withCause(e),
          new Metadata(), false);
      throw e;
    }
  }

  /** Ends the call with the local refusal of the breaker or the throttle; nothing was sent. */
  private void refusedLocally(long rejection) {
    RejectReason reason = Ticket.reason(rejection);
    Metadata trailers = new Metadata();
    String description;
    if (reason == RejectReason.CIRCUIT_OPEN) {
      long millis = GrpcRefusals.pushbackMillis(Ticket.retryAfterNanos(rejection));
      trailers.put(GrpcRefusals.RETRY_PUSHBACK_MS, Long.toString(millis));
      description = "sluice CIRCUIT_OPEN: refused locally, the circuit breaker is open; retry "
          + "after " + millis + " ms";
    } else {
      description = "sluice " + reason + ": refused locally, the server has been refusing calls "
          + "and the adaptive throttle sends only part of them";
    }
    closeToApplication(Status.UNAVAILABLE.withDescription(description), trailers, false);
  }

  /** Handles the end of an attempt, on its callback thread: retry it, or tell the application. */
  private void attemptClosed(Attempt a, Status status, Metadata trailers) {
    Status.Code code = status.getCode();
    long pushbackNanos = Pushback.ABSENT;
    if (RetryClientInterceptor.isRefusal(code)) {
      pushbackNanos = Pushback.nanos(trailers);
      retry.onRefused(a.permit, pushbackNanos);
    } else if (RetryClientInterceptor.isFailure(code)) {
      retry.onFailure(a.permit);
    } else {
      retry.onSuccess(a.permit);
    }
    if (retryable && !a.committed && !cancelled && mayRetry(code, pushbackNanos)
        && scheduleRetry(pushbackNanos)) {
      return;
    }
    closeToApplication(status, trailers, true);
  }

  private boolean mayRetry(Status.Code code, long pushbackNanos) {
    if (pushbackNanos >= 0) {
      return RetryClientInterceptor.isRefusal(code);
    }
    return pushbackNanos == Pushback.ABSENT && code == Status.Code.UNAVAILABLE
        && owner.retriesWithoutPushback(method);
  }

  /** Schedules the next attempt; returns false (give up) if the policy or the deadline says so. */
  private boolean scheduleRetry(long pushbackNanos) {
    Deadline deadline = options.getDeadline();
    Deadline inherited = context.getDeadline();
    if (inherited != null) {
      deadline = deadline == null ? inherited : deadline.minimum(inherited);
    }
    if (deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= pushbackNanos) {
      return false; // checked before nextDelayNanos takes a retry from the budget
    }
    long delay = retry.nextDelayNanos();
    if (delay == RetryCall.GIVE_UP
        || (deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= delay)) {
      return false;
    }
    ScheduledFuture<?> retrying;
    try {
      retrying = owner.scheduler().schedule(this::retryNow, delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return false; // the scheduler is shut down: the application gets the refusal
    }
    pendingRetry = retrying;
    if (cancelled && retrying.cancel(false)) {
      closeToApplication(Status.CANCELLED.withDescription("cancelled before a retry"),
          new Metadata(), false);
    }
    return true;
  }

  /**
   * Tells the application's listener that the call is over, once. From an attempt's callback
   * the listener is called in place, on gRPC's call executor; from any other thread, through the
   * call's executor if it has one (a blocking stub waits on that executor), else in place.
   */
  private void closeToApplication(Status status, Metadata trailers, boolean onCallExecutor) {
    if (!CLOSED.compareAndSet(this, false, true)) {
      return;
    }
    Listener<RespT> l = listener;
    Executor executor = options.getExecutor();
    if (onCallExecutor || executor == null) {
      l.onClose(status, trailers);
    } else {
      executor.execute(() -> l.onClose(status, trailers));
    }
  }

  private boolean isClosed() {
    return (boolean) CLOSED.getAcquire(this);
  }

  private static Status cancelStatus(String message, Throwable cause) {
    Status status = Status.CANCELLED;
    if (message != null) {
      status = status.withDescription(message);
    }
    return cause != null ? status.withCause(cause) : status;
  }

  private static Metadata copy(Metadata headers) {
    Metadata copy = new Metadata();
    copy.merge(headers);
    return copy;
  }

  /**
   * One attempt: its call, the breaker's permit, and its callbacks, which reach the application
   * unless the attempt ends in a refusal that is retried.
   */
  private final class Attempt extends Listener<RespT> {
    private final long permit;
    /** The attempt's number, from 1: a later attempt is never replaced by an earlier one. */
    private final int number;
    ClientCall<ReqT, RespT> call;
    /** Of {@code requested}, what this attempt forwarded to its call (through FORWARDED). */
    @SuppressWarnings("unused")
    private volatile long forwarded;
    /** Whether a response header or message arrived: the call can no longer be retried. */
    private boolean committed;

    Attempt(long permit, int number) {
      this.permit = permit;
      this.number = number;
    }

    void forwardRequests() {
      for (;;) {
        long total = (long) REQUESTED.getVolatile(RetryingCall.this);
        long done = (long) FORWARDED.getVolatile(this);
        if (done >= total) {
          return;
        }
        long more = Math.min(total - done, Integer.MAX_VALUE);
        if (FORWARDED.compareAndSet(this, done, done + more)) {
          call.request((int) more);
        }
      }
    }

    @Override
    public void onHeaders(Metadata responseHeaders) {
      committed = true;
      if (!isClosed()) {
        listener.onHeaders(responseHeaders);
      }
    }

    @Override
    public void onMessage(RespT response) {
      committed = true;
      if (!isClosed()) {
        listener.onMessage(response);
      }
    }

    @Override
    public void onReady() {
      if (!isClosed()) {
        listener.onReady();
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      attemptClosed(this, status, trailers);
    }
  }
}
