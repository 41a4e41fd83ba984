package io.sluice.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.sluice.Limiter;
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
 * The permit was written in the constructor, before the call and its listener were handed to
 * gRPC, which publishes them to the threads that run the other paths.
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

  private final Limiter limiter;
  private final AdmissionServerInterceptor policy;
  @SuppressWarnings("unused") // read and written through PERMIT
  private volatile long permit;
  private boolean sampleDue;

  AdmittedCall(ServerCall<ReqT, RespT> call, Limiter limiter, long permit,
      AdmissionServerInterceptor policy, boolean sampleAtFirstMessage) {
    super(call);
    this.limiter = limiter;
    this.policy = policy;
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
        limiter.sample(held);
      }
    }
    super.sendMessage(message);
  }

  @Override
  public void close(Status status, Metadata trailers) {
    // Released first: closing may complete the call in place (a direct executor), and the
    // listener's onComplete must find the permit released with this status's outcome; the
    // client, which sees the close after this, sees the permit free.
    release(policy.outcomeOf(status.getCode()));
    super.close(status, trailers);
  }

  /** Releases the permit with {@code outcome}, unless another path released it already. */
  void release(Outcome outcome) {
    long held = (long) PERMIT.getAndSet(this, RELEASED);
    if (held != RELEASED) {
      limiter.release(held, outcome);
    }
  }

  /** Releases the permit of a call whose handler threw: gRPC closes it as UNKNOWN. */
  void failed() {
    release(policy.outcomeOf(Status.Code.UNKNOWN));
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
      call.release(call.policy.cancelledOutcome());
      super.onCancel();
    }

    @Override
    public void onComplete() {
      // Normally released by close(); reached first only if gRPC closed the call itself.
      call.failed();
      super.onComplete();
    }
  }
}
