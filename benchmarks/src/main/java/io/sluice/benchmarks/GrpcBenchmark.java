package io.sluice.benchmarks;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.grpc.AdmissionServerInterceptor;
import io.sluice.http.PriorityHeader;
import io.sluice.limit.FixedLimit;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the gRPC server interceptor adds to a call. {@link #limiterWithHeaderLookup} is the
 * baseline of the target (at most 1.3 times it): what a hand-written interceptor must do at least,
 * look the priority up in the call's metadata (absent: the default level) and make one limiter
 * round trip at that level; {@link #bareLimiter} is the round trip alone. {@link #interceptorAdmit}
 * drives {@link AdmissionServerInterceptor#interceptCall} with test doubles the way gRPC does for
 * a unary call without priority metadata (route, read the absent metadata, acquire, wrap the call
 * and its listener, start the handler, close OK, complete), so its ratio to either baseline is the
 * interceptor's overhead, and {@code -prof gc} shows what it allocates per call: the call's
 * wrapper, 32 bytes ({@link #interceptorAdmitUnwrapped}: none, for an interceptor whose every
 * status has the same outcome).
 * {@link #interceptorAdmitWithPriority} reads an {@code x-priority} value, and
 * {@link #interceptorRefuse} answers a refusal (its status and trailers). {@link #inProcessCall}
 * and {@link #inProcessCallIntercepted} put the same in proportion: a whole unary call on an
 * in-process server with a direct executor, without and with the interceptor.
 *
 * <p>Single-threaded by intent: {@code AdmitBenchmark} measures the limiter under contention.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class GrpcBenchmark {
  private static final MethodDescriptor.Marshaller<String> STRING =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        }
      };
  private static final MethodDescriptor<String, String> SAY =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("bench.Echo/Say")
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();
  private static final MethodDescriptor<String, String> INTERCEPTED_SAY =
      SAY.toBuilder().setFullMethodName("bench.Intercepted/Say").build();
  private static final Metadata.Key<String> PRIORITY =
      Metadata.Key.of("x-priority", Metadata.ASCII_STRING_MARSHALLER);
  private static final ServerCall.Listener<String> HANDLER_LISTENER =
      new ServerCall.Listener<>() {};

  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1000)).build();
  /** The interceptor's default priority rules: {@code x-priority}, default level critical. */
  private final PriorityHeader priorities = PriorityHeader.newBuilder().build();
  private final AdmissionServerInterceptor admission =
      AdmissionServerInterceptor.newBuilder(limiter).build();
  /** Every status a success: no call needs its status, so none is wrapped. */
  private final AdmissionServerInterceptor unwrapped = everyStatusSucceeds(limiter);
  private final Limiter full = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final AdmissionServerInterceptor refusing =
      AdmissionServerInterceptor.newBuilder(full).build();
  private final StubCall call = new StubCall();
  /** The handler: keeps the call it was given, as a real one does, to close it later. */
  private final ServerCallHandler<String, String> handler = (started, headers) -> {
    this.started = started;
    return HANDLER_LISTENER;
  };
  private ServerCall<String, String> started;

  Metadata noPriority = new Metadata();
  Metadata sheddable = new Metadata();
  Metadata trailers = new Metadata();
  Status ok = Status.OK;
  Priority priority = Priority.CRITICAL;

  private Server server;
  private ManagedChannel channel;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    sheddable.put(PRIORITY, "sheddable");
    full.tryAcquire(); // held for the whole trial: every call to refusing is refused
    ServerServiceDefinition echo = ServerServiceDefinition.builder("bench.Echo")
        .addMethod(SAY, ServerCalls.asyncUnaryCall((request, response) -> {
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
    ServerServiceDefinition intercepted = ServerServiceDefinition.builder("bench.Intercepted")
        .addMethod(INTERCEPTED_SAY, ServerCalls.asyncUnaryCall((request, response) -> {
              response.onNext(request);
              response.onCompleted();
            }))
        .build();
    String name = "grpc-benchmark-" + System.identityHashCode(this);
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(echo)
        .addService(ServerInterceptors.intercept(intercepted, admission))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    if (limiter.inFlight() != 0) {
      throw new IllegalStateException("a permit was not released: " + limiter.inFlight());
    }
  }

  /** The limiter's round trip alone, at a priority given in advance. */
  @Benchmark
  public long bareLimiter() {
    long ticket = limiter.tryAcquire(1, priority);
    limiter.release(ticket, Outcome.SUCCESS);
    return ticket;
  }

  /**
   * The baseline of {@link #interceptorAdmit}: the priority looked up in the same metadata
   * (absent, so the default level; a value present is resolved as the interceptor does), and the
   * limiter's round trip at that level.
   */
  @Benchmark
  public long limiterWithHeaderLookup() {
    Metadata headers = noPriority;
    Priority level = headers.containsKey(PRIORITY)
        ? priorities.resolve(headers.getAll(PRIORITY), false)
        : priorities.defaultPriority();
    long ticket = limiter.tryAcquire(1, level);
    limiter.release(ticket, Outcome.SUCCESS);
    return ticket;
  }

  /** An admitted unary call without priority metadata, through the interceptor and back. */
  @Benchmark
  public Object interceptorAdmit() {
    return admitAndClose(noPriority);
  }

  /**
   * The least a hand-written interceptor does for the same call, with the same test doubles: the
   * priority lookup and the limiter round trip of {@link #limiterWithHeaderLookup} around the
   * handler's start, its close and gRPC's completion, with no wrapper (so it cannot see the status
   * or a cancellation). {@link #interceptorAdmit} minus this is what the interceptor adds.
   */
  @Benchmark
  public Object handWrittenAdmit() {
    Metadata headers = noPriority;
    Priority level = headers.containsKey(PRIORITY)
        ? priorities.resolve(headers.getAll(PRIORITY), false)
        : priorities.defaultPriority();
    long ticket = limiter.tryAcquire(1, level);
    ServerCall.Listener<String> listener = handler.startCall(call, headers);
    started.close(ok, trailers);
    listener.onComplete();
    limiter.release(ticket, Outcome.SUCCESS);
    return listener;
  }

  /**
   * The same call through an interceptor whose every status has one outcome: the call reaches its
   * handler unwrapped and its reused listener holds the permit (0 B/op).
   */
  @Benchmark
  public Object interceptorAdmitUnwrapped() {
    ServerCall.Listener<String> listener = unwrapped.interceptCall(call, noPriority, handler);
    started.close(ok, trailers);
    listener.onComplete();       // releases the permit here
    return listener;
  }

  /** The same with {@code x-priority: sheddable} from a caller nobody trusts (it may lower). */
  @Benchmark
  public Object interceptorAdmitWithPriority() {
    return admitAndClose(sheddable);
  }

  /** A refused call: the limiter's refusal and the status and trailers that answer it. */
  @Benchmark
  public Object interceptorRefuse() {
    return refusing.interceptCall(call, noPriority, handler);
  }

  /** A whole unary call on an in-process server with a direct executor, no interceptor. */
  @Benchmark
  public String inProcessCall() {
    return ClientCalls.blockingUnaryCall(channel, SAY, CallOptions.DEFAULT, "x");
  }

  /** The same call through the interceptor. */
  @Benchmark
  public String inProcessCallIntercepted() {
    return ClientCalls.blockingUnaryCall(channel, INTERCEPTED_SAY, CallOptions.DEFAULT, "x");
  }

  private Object admitAndClose(Metadata headers) {
    ServerCall.Listener<String> listener = admission.interceptCall(call, headers, handler);
    started.close(ok, trailers); // the handler's answer: releases the permit
    listener.onComplete();       // gRPC's word that the status went out: nothing left to do
    return listener;
  }

  private static AdmissionServerInterceptor everyStatusSucceeds(Limiter limiter) {
    AdmissionServerInterceptor.Builder b = AdmissionServerInterceptor.newBuilder(limiter);
    for (Status.Code code : Status.Code.values()) {
      b.outcome(code, Outcome.SUCCESS);
    }
    return b.build();
  }

  /** A server call that goes nowhere: what the interceptor sees of a unary call. */
  private static final class StubCall extends ServerCall<String, String> {
    @Override
    public void request(int numMessages) {}

    @Override
    public void sendHeaders(Metadata headers) {}

    @Override
    public void sendMessage(String message) {}

    @Override
    public void close(Status status, Metadata trailers) {}

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }

    @Override
    public MethodDescriptor<String, String> getMethodDescriptor() {
      return SAY;
    }
  }
}
