package io.sluice.examples.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.client.RetryBudget;
import io.sluice.client.RetryPolicy;
import io.sluice.grpc.AdmissionServerInterceptor;
import io.sluice.grpc.RetryClientInterceptor;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A gRPC server protected by Sluice and a client that honours its pushback, over Netty on
 * 127.0.0.1: a greeter whose backend answers in 2 ms, admitted four calls at a time, and a burst
 * of concurrent callers, half of them marking their calls {@code sheddable}. The server refuses
 * what does not fit with {@code UNAVAILABLE} and a {@code grpc-retry-pushback-ms} trailer, shedding
 * the sheddable calls first; the client retries refused calls after the pushback, within its retry
 * budget. The service is defined without protoc: a {@link MethodDescriptor} with a string
 * marshaller.
 *
 * <pre>
 * mvn -B -q -pl examples -am package -DskipTests
 * java -cp examples/target/sluice-demo.jar io.sluice.examples.grpc.GrpcExample
 * </pre>
 */
public final class GrpcExample {
  static final MethodDescriptor<String, String> GREET = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("example.Greeter/Greet")
      .setRequestMarshaller(Utf8.INSTANCE)
      .setResponseMarshaller(Utf8.INSTANCE)
      .build();
  private static final Metadata.Key<String> PRIORITY =
      Metadata.Key.of("x-priority", Metadata.ASCII_STRING_MARSHALLER);

  private GrpcExample() {}

  /** Runs 400 calls from 16 callers and prints what became of them. */
  public static void main(String[] args) throws Exception {
    run(400, 16, System.out);
  }

  /** What became of a run's calls, and the server's limiter at the end. */
  record Report(int calls, int criticalServed, int sheddableServed, int failed,
      LimiterSnapshot server) {}

  /** Makes {@code calls} calls from {@code callers} concurrent callers; prints and returns. */
  static Report run(int calls, int callers, PrintStream out) throws Exception {
    ScheduledExecutorService backend = Executors.newSingleThreadScheduledExecutor();
    ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();
    // A fixed limit keeps the output readable; a real server keeps the adaptive default.
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(4)).build();
    ServerServiceDefinition greeter = ServerServiceDefinition.builder("example.Greeter")
        .addMethod(GREET, ServerCalls.asyncUnaryCall((name, response) ->
            backend.schedule(() -> {       // the backend answers in 2 ms; the permit is held
              response.onNext("Hello, " + name);
              response.onCompleted();
            }, 2, TimeUnit.MILLISECONDS)))
        .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(greeter,
            AdmissionServerInterceptor.newBuilder(limiter).build()))
        .build();
    start(server);
    ManagedChannel managedChannel = NettyChannelBuilder
        .forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    RetryPolicy policy = RetryPolicy.newBuilder().budget(RetryBudget.of(0.2, 20)).build();
    Channel channel = ClientInterceptors.intercept(managedChannel,
        RetryClientInterceptor.newBuilder(policy).scheduler(retries).build());
    try {
      AtomicInteger criticalServed = new AtomicInteger();
      AtomicInteger sheddableServed = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      Semaphore inFlight = new Semaphore(callers);
      CountDownLatch done = new CountDownLatch(calls);
      for (int i = 0; i < calls; i++) {
        boolean sheddable = i % 2 == 1;
        inFlight.acquire();
        greet(channel, "caller " + i, sheddable, status -> {
          if (status.isOk()) {
            (sheddable ? sheddableServed : criticalServed).incrementAndGet();
          } else {
            failed.incrementAndGet();
          }
          inFlight.release();
          done.countDown();
        });
      }
      if (!done.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("calls still running after 60 s");
      }
      LimiterSnapshot s = limiter.snapshot();
      out.printf("%d calls from %d callers to a server admitting %d at a time:%n", calls, callers,
          s.limit());
      out.printf("  critical  served %d of %d%n", criticalServed.get(), (calls + 1) / 2);
      out.printf("  sheddable served %d of %d%n", sheddableServed.get(), calls / 2);
      out.printf("  failed after retries: %d%n", failed.get());
      LimiterSnapshot counts = limiter.snapshot();
      long sheddableRefused = counts.rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE)
          + counts.rejected(RejectReason.LIMIT_REACHED, Priority.SHEDDABLE);
      out.printf("  the server admitted %d attempts and refused %d, %d of them sheddable;%n"
          + "  in flight at the end: %d%n", s.admitted(), s.rejected(), sheddableRefused,
          s.inFlight());
      return new Report(calls, criticalServed.get(), sheddableServed.get(), failed.get(), s);
    } finally {
      managedChannel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      backend.shutdownNow();
      retries.shutdownNow();
    }
  }

  /** Calls the greeter; {@code sheddable} marks the call as background work. */
  private static void greet(Channel channel, String name, boolean sheddable,
      Consumer<Status> whenDone) {
    ClientCall<String, String> call = channel.newCall(GREET,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    Metadata headers = new Metadata();
    if (sheddable) {
      headers.put(PRIORITY, "sheddable");   // anyone may lower their own priority
    }
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        whenDone.accept(status);
      }
    }, headers);
    call.request(1);
    call.sendMessage(name);
    call.halfClose();
  }

  private static void start(Server server) {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Messages are UTF-8 strings: a service without a code generator. */
  private enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try (stream) {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
