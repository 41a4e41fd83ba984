package io.sluice.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.sluice.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A call that holds a permit, and releases it exactly once, whichever way the call ends.
 *
 * <p>Design: a call ends on one of several paths, on different threads: the handler closes it
 * ({@link #close}, on the application's thread, which is when its work is done; released before
 * gRPC sends the status, so that a client that saw the answer finds the permit free), the client
 * cancels it or its deadline passes ({@code onCancel}, on the call executor), the handler throws
 * (caught in the listener, which gRPC then closes as UNKNOWN), or gRPC closes it without the
 * handler ({@code onComplete} with no close seen here). Each path swaps the permit field with
 * {@link #RELEASED} ({@code getAndSet}, a full fence) and only the path that read a permit releases
 * it; the others find {@code RELEASED} and do nothing, so the limiter never sees a second release.
 * The permit is written plainly in the constructor, before the call and its listener are handed
 * to gRPC, which publishes them to the threads that run the other paths (its executors' hand-offs
 * order the write before every later read); a volatile write there would cost a full fence per
 * call for nothing. {@code onComplete} follows the handler's close in gRPC's order of events, so
 * it finds the permit released with an acquire read and skips the swap: the common end of a call
 * costs one atomic swap, not two.
 *
 * <p>Cost: one object per admitted call, this one (32 bytes with compressed references), and its
 * listener, reused from a call that ended (see {@link Listener}); none at all for a call whose
 * status says nothing (every status with the same outcome, no sample due at a first message),
 * which gRPC's handler gets unwrapped, its listener holding the permit. gRPC's API takes a
 * {@code ServerCall} to see the handler close the call (its status, hence the outcome) and returns
 * a {@code ServerCall.Listener} to see it cancelled; both are abstract classes, so one object
 * cannot be both. This one cannot be reused: the handler may keep its call after the end (a
 * stream that polls {@code isCancelled()}, a stub's observer), and a reused call would carry its
 * stale writes and reads into another client's call.
 *
 * <p>The milestone sample of a streaming response is taken at the first message the handler
 * sends; {@code sendMessage} is called by one thread at a time (the ServerCall contract), so the
 * flag that says whether it is due is a plain field. A release racing with that sample may make
 * the sample land on a released permit, which the limiter refuses and counts as invalid: it
 * cannot release twice nor corrupt the permit.
 */
final class AdmittedCall<ReqT, RespT>
    extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
  private static final long RELEASED = -1L;
  private static final VarHandle PERMIT;

  static {
    try {
      PERMIT = MethodHandles.lookup().findVarHandle(AdmittedCall.class, "permit", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The limiter and the outcomes: one field rather than two keeps this object at 32 bytes. */
  private final AdmissionServerInterceptor.Target target;
  /** Read and written through {@link #PERMIT} after the constructor's plain write. */
  private long permit;
  private boolean sampleDue;

  AdmittedCall(ServerCall<ReqT, RespT> call, AdmissionServerInterceptor.Target target,
      long permit, boolean sampleAtFirstMessage) {
    super(call);
    this.target = target;
    this.permit = permit;
    this.sampleDue = sampleAtFirstMessage;
  }

  /** Returns the handler's listener wrapped so that the call's end releases the permit. */
  ServerCall.Listener<ReqT> listen(ServerCall.Listener<ReqT> listener) {
    Listener<ReqT> wrapper = Listener.take(target);
    wrapper.delegate = listener;
    wrapper.call = this;
    return wrapper;
  }

  /**
   * Returns the handler's listener of a call that is not wrapped, wrapped so that the call's end
   * releases {@code permit}: for calls whose status says nothing (see
   * {@link AdmissionServerInterceptor#statusOutcome}).
   */
  static <ReqT> ServerCall.Listener<ReqT> holding(ServerCall.Listener<ReqT> listener,
      AdmissionServerInterceptor.Target target, long permit) {
    Listener<ReqT> wrapper = Listener.take(target);
    wrapper.delegate = listener;
    wrapper.permit = permit;
    return wrapper;
  }

  @Override
  public void sendMessage(RespT message) {
    if (sampleDue) {
      sampleDue = false;
      long held = (long) PERMIT.getAcquire(this);
      if (held != RELEASED) {
        target.limiter.sample(held);
      }
    }
    super.sendMessage(message);
  }

  @Override
  public void close(Status status, Metadata trailers) {
    // Released first: closing may complete the call in place (a direct executor), and the
    // listener's onComplete must find the permit released with this status's outcome; the
    // client, which sees the close after this, sees the permit free.
    release(target.policy.outcomeOf(status.getCode()));
    super.close(status, trailers);
  }

  /** Releases the permit with {@code outcome}, unless another path released it already. */
  void release(Outcome outcome) {
    long held = (long) PERMIT.getAndSet(this, RELEASED);
    if (held != RELEASED) {
      target.limiter.release(held, outcome);
    }
  }

  /** Releases the permit of a call whose handler threw: gRPC closes it as UNKNOWN. */
  void failed() {
    release(target.policy.outcomeOf(Status.Code.UNKNOWN));
  }

  /** Releases the permit of a call that gRPC completed, unless the handler's close did. */
  void completed() {
    if ((long) PERMIT.getAcquire(this) != RELEASED) {
      failed();
    }
  }

  /**
   * The handler's listener, with every way the call can end releasing the permit; reused by a
   * later call once this one ended.
   *
   * <p>Why reuse is safe: gRPC calls exactly one of {@code onComplete} and {@code onCancel}, last,
   * after which it calls nothing more on the listener (the {@code ServerCall.Listener} contract; a
   * handler that throws makes gRPC cancel the call, so {@code onCancel} follows), and it calls a
   * listener's methods one at a time, never one from within another (its serializing executor
   * queues a callback raised during another until that one returns). Only gRPC, and interceptors
   * that forward its events, hold this object: the handler was given the call and returned its
   * own listener, and never sees this one. So after that last method nothing calls this object
   * for the call that ended, and it goes back to the pool, its fields cleared, as the last thing
   * that method does. (The methods that run the handler also keep the call they started with in
   * a local, so that the permit a failure releases is that call's even if the listener were
   * reused meanwhile.) An interceptor outside this one that called a listener after its end would
   * break gRPC's contract for every listener, this one included.
   *
   * <p>A call that is not wrapped (its status says nothing, see
   * {@link AdmissionServerInterceptor#statusOutcome}) leaves its permit here, in a plain field:
   * only this listener's methods touch it, one at a time, and exactly one of them, the first to
   * see the end (a failure, the cancellation or the completion), releases it. No atomic
   * instruction is needed, and the call allocates nothing once the pool has a listener.
   */
  static final class Listener<ReqT> extends ServerCall.Listener<ReqT> {
    /** Written by the call that takes this listener, before gRPC sees it; cleared at its end. */
    private ServerCall.Listener<ReqT> delegate;
    /** The call that holds the permit, or null if this listener holds it. */
    private AdmittedCall<ReqT, ?> call;
    private AdmissionServerInterceptor.Target target;
    /**
     * The permit when no call holds it, else {@link #RELEASED}. A plain field: only this
     * listener's methods, which gRPC calls one at a time, read and write it.
     */
    private long permit = RELEASED;

    @SuppressWarnings("unchecked") // a pooled listener served calls of other types: it is cleared
    static <ReqT> Listener<ReqT> take(AdmissionServerInterceptor.Target target) {
      Listener<ReqT> listener = (Listener<ReqT>) target.policy.listeners.take();
      if (listener == null) {
        listener = new Listener<>();
      }
      listener.target = target;
      return listener;
    }

    @Override
    public void onMessage(ReqT message) {
      AdmittedCall<ReqT, ?> c = call;
      try {
        delegate.onMessage(message);
      } catch (RuntimeException | Error e) {
        failed(c);
        throw e;
      }
    }

    @Override
    public void onHalfClose() {
      AdmittedCall<ReqT, ?> c = call;
      try {
        delegate.onHalfClose();
      } catch (RuntimeException | Error e) {
        failed(c);
        throw e;
      }
    }

    @Override
    public void onReady() {
      AdmittedCall<ReqT, ?> c = call;
      try {
        delegate.onReady();
      } catch (RuntimeException | Error e) {
        failed(c);
        throw e;
      }
    }

    @Override
    public void onCancel() {
      AdmittedCall<ReqT, ?> c = call;
      ServerCall.Listener<ReqT> d = delegate;
      AdmissionServerInterceptor.Target t = target;
      if (c != null) {
        c.release(t.policy.cancelledOutcome());
      } else {
        releaseHeld(t.policy.cancelledOutcome());
      }
      try {
        d.onCancel();
      } finally {
        recycle(t);
      }
    }

    @Override
    public void onComplete() {
      AdmittedCall<ReqT, ?> c = call;
      ServerCall.Listener<ReqT> d = delegate;
      AdmissionServerInterceptor.Target t = target;
      if (c != null) {
        // Normally released by close(); reached first only if gRPC closed the call itself.
        c.completed();
      } else {
        releaseHeld(t.policy.statusOutcome);
      }
      try {
        d.onComplete();
      } finally {
        recycle(t);
      }
    }

    /** Releases the permit of a call whose handler threw: gRPC closes it as UNKNOWN. */
    private void failed(AdmittedCall<ReqT, ?> c) {
      if (c != null) {
        c.failed();
      } else {
        releaseHeld(target.policy.outcomeOf(Status.Code.UNKNOWN));
      }
    }

    private void releaseHeld(Outcome outcome) {
      long held = permit;
      if (held != RELEASED) {
        permit = RELEASED;
        target.limiter.release(held, outcome);
      }
    }

    private void recycle(AdmissionServerInterceptor.Target ended) {
      delegate = null;
      call = null;
      target = null;
      permit = RELEASED;
      ended.policy.listeners.give(this);
    }
  }
}
