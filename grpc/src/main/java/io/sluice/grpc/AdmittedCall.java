package io.sluice.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
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
 * <p>Cost: two objects per admitted call, this one (32 bytes with compressed references) and its
 * listener (24 bytes), and no fewer can see a call end. gRPC's API takes a {@code ServerCall} to
 * see the handler close the call (its status, hence the outcome) and returns a
 * {@code ServerCall.Listener} to see it cancelled; both are abstract classes, so one object
 * cannot be both. Neither can be recycled: the handler may keep its call after the end (a stream
 * that polls {@code isCancelled()}, a stub's observer), and a recycled call would carry its stale
 * writes into another client's call. A recycled listener alone would save its 24 bytes but add
 * an atomic claim and free to every call, and a pool of its own to size; a TLAB allocation is a
 * pointer bump.
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
    return new Listener<>(listener, this);
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

  /** The handler's listener, with every way the call can end releasing the permit. */
  private static final class Listener<ReqT>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private final AdmittedCall<ReqT, ?> call;

    Listener(ServerCall.Listener<ReqT> delegate, AdmittedCall<ReqT, ?> call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(ReqT message) {
      try {
        super.onMessage(message);
      } catch (RuntimeException | Error e) {
        call.failed();
        throw e;
      }
    }

    @Override
    public void onHalfClose() {
      try {
        super.onHalfClose();
      } catch (RuntimeException | Error e) {
        call.failed();
        throw e;
      }
    }

    @Override
    public void onReady() {
      try {
        super.onReady();
      } catch (RuntimeException | Error e) {
        call.failed();
        throw e;
      }
    }

    @Override
    public void onCancel() {
      call.release(call.target.policy.cancelledOutcome());
      super.onCancel();
    }

    @Override
    public void onComplete() {
      // Normally released by close(); reached first only if gRPC closed the call itself.
      call.completed();
      super.onComplete();
    }
  }
}
