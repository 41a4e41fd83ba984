package io.sluice.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test service without protoc: string messages, and handlers whose behaviour the request names.
 *
 * <ul>
 *   <li>{@code Say} (unary): {@code throw} throws from the handler; {@code status:CODE} fails
 *       with that code; {@code hang} never answers (the test completes it, or cancels); anything
 *       else is echoed.
 *   <li>{@code Count} (server streaming): {@code n} sends n messages; {@code n:hang} sends n and
 *       then hangs; {@code n:unavailable} sends n and then fails {@code UNAVAILABLE} with a pushback.
 *   <li>{@code Chat} (bidirectional): echoes each message, completes when the client does.
 *   <li>{@code Collect} (client streaming): answers the messages joined, when the client completes.
 * </ul>
 * A hanging call's observer goes to {@link #hanging}; its cancellation releases one permit of
 * {@link #cancellations}, after the interceptor saw it.
 */
final class Echo {
  static final String SERVICE = "sluice.test.Echo";
  static final String HEALTH_SERVICE = "sluice.test.Health";

  static final MethodDescriptor.Marshaller<String> UTF8 = new MethodDescriptor.Marshaller<>() {
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
  };

  static final MethodDescriptor<String, String> SAY = method(SERVICE, "Say", MethodType.UNARY);
  static final MethodDescriptor<String, String> SAY_IDEMPOTENT =
      method(SERVICE, "SayAgain", MethodType.UNARY).toBuilder().setIdempotent(true).build();
  static final MethodDescriptor<String, String> COUNT =
      method(SERVICE, "Count", MethodType.SERVER_STREAMING);
  static final MethodDescriptor<String, String> CHAT =
      method(SERVICE, "Chat", MethodType.BIDI_STREAMING);
  static final MethodDescriptor<String, String> COLLECT =
      method(SERVICE, "Collect", MethodType.CLIENT_STREAMING);
  static final MethodDescriptor<String, String> CHECK =
      method(HEALTH_SERVICE, "Check", MethodType.UNARY);

  /** Handler invocations: a refused call never gets here. */
  final AtomicInteger started = new AtomicInteger();
  final BlockingQueue<ServerCallStreamObserver<String>> hanging = new LinkedBlockingQueue<>();
  final Semaphore cancellations = new Semaphore(0);

  static MethodDescriptor<String, String> method(String service, String name, MethodType type) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();
  }

  ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(SAY, ServerCalls.asyncUnaryCall(this::say))
        .addMethod(SAY_IDEMPOTENT, ServerCalls.asyncUnaryCall(this::say))
        .addMethod(COUNT, ServerCalls.asyncServerStreamingCall(this::count))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(this::chat))
        .addMethod(COLLECT, ServerCalls.asyncClientStreamingCall(this::collect))
        .build();
  }

  ServerServiceDefinition health() {
    return ServerServiceDefinition.builder(HEALTH_SERVICE)
        .addMethod(CHECK, ServerCalls.asyncUnaryCall((request, response) -> {
          started.incrementAndGet();
          response.onNext("SERVING");
          response.onCompleted();
        }))
        .build();
  }

  private void say(String request, StreamObserver<String> response) {
    started.incrementAndGet();
    if (request.equals("throw")) {
      throw new IllegalStateException("the handler failed");
    } else if (request.startsWith("status:")) {
      response.onError(Status.Code.valueOf(request.substring(7)).toStatus().asRuntimeException());
    } else if (request.equals("hang")) {
      hang(response);
    } else {
      response.onNext(request);
      response.onCompleted();
    }
  }

  private void count(String request, StreamObserver<String> response) {
    started.incrementAndGet();
    String[] parts = request.split(":");
    int n = Integer.parseInt(parts[0]);
    for (int i = 1; i <= n; i++) {
      response.onNext(Integer.toString(i));
    }
    if (parts.length > 1 && parts[1].equals("hang")) {
      hang(response);
    } else if (parts.length > 1 && parts[1].equals("unavailable")) {
      response.onError(Status.UNAVAILABLE.asRuntimeException(Refuser.pushback("5")));
    } else {
      response.onCompleted();
    }
  }

  private StreamObserver<String> chat(StreamObserver<String> response) {
    started.incrementAndGet();
    ((ServerCallStreamObserver<String>) response).setOnCancelHandler(cancellations::release);
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        response.onNext(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onCompleted();
      }
    };
  }

  private StreamObserver<String> collect(StreamObserver<String> response) {
    started.incrementAndGet();
    StringBuilder all = new StringBuilder();
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        all.append(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onNext(all.toString());
        response.onCompleted();
      }
    };
  }

  private void hang(StreamObserver<String> response) {
    ServerCallStreamObserver<String> call = (ServerCallStreamObserver<String>) response;
    call.setOnCancelHandler(cancellations::release);
    hanging.add(call);
  }
}
