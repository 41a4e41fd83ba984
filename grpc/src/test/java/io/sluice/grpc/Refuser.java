package io.sluice.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A server interceptor that answers the first {@code refusals} calls with a status and trailers
 * of the test's choosing (a server or proxy that is not Sluice's, a malformed pushback), and lets
 * the rest through. Counts every call it sees: the attempts the client made.
 */
final class Refuser implements ServerInterceptor {
  final AtomicInteger calls = new AtomicInteger();
  private final int refusals;
  private final Status status;
  private final Supplier<Metadata> trailers;

  Refuser(int refusals, Status status, Supplier<Metadata> trailers) {
    this.refusals = refusals;
    this.status = status;
    this.trailers = trailers;
  }

  /** Returns trailers with the pushback {@code value}. */
  static Metadata pushback(String value) {
    Metadata trailers = new Metadata();
    trailers.put(GrpcRefusals.RETRY_PUSHBACK_MS, value);
    return trailers;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (calls.incrementAndGet() <= refusals) {
      call.close(status, trailers.get());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
