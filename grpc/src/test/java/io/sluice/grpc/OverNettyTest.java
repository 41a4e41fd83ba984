package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.client.RetryPolicy;
import io.sluice.http.PriorityHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Both interceptors over a real transport, Netty on 127.0.0.1: trust by the peer's address,
 * cancelled streams and deadlines seen by the server, and pushback honoured end to end.
 */
class OverNettyTest {
  private static final Metadata.Key<String> PRIORITY =
      Metadata.Key.of("x-priority", Metadata.ASCII_STRING_MARSHALLER);

  private final Echo echo = new Echo();
  private final List<Harness> harnesses = new ArrayList<>();

  @AfterEach
  void shutDown() {
    harnesses.forEach(Harness::close);
  }

  private Harness serve(AdmissionServerInterceptor admission) {
    Harness h = Harness.netty(List.of(ServerInterceptors.intercept(echo.service(), admission)));
    harnesses.add(h);
    return h;
  }

  private static void assertAtRest(Limiter limiter, long admitted) {
    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.inFlight()).isZero();
    assertThat(s.admitted()).isEqualTo(admitted);
    assertThat(s.completed()).isEqualTo(admitted);
    assertThat(s.invalidReleases()).isZero();
  }

  @Test
  void aPeerOnATrustedNetworkMayRaiseItsPriorityAndAnotherMayNot() {
    CountingLimiter trusting = new CountingLimiter(Limiter.newBuilder().build());
    CountingLimiter wary = new CountingLimiter(Limiter.newBuilder().build());
    Channel loopbackTrusted = serve(AdmissionServerInterceptor.newBuilder(trusting)
        .priority(PriorityHeader.newBuilder().build(),
            CallerTrust.remoteAddresses(TrustedSources.loopback()))
        .build()).channel;
    Channel onlyTenDot = serve(AdmissionServerInterceptor.newBuilder(wary)
        .priority(PriorityHeader.newBuilder().build(),
            CallerTrust.remoteAddresses(TrustedSources.of("10.0.0.0/8")))
        .build()).channel;

    for (Channel channel : List.of(loopbackTrusted, onlyTenDot)) {
      Channel critical = AdmissionServerInterceptorTest.withMetadata(channel, PRIORITY,
          "critical-plus");
      assertThat(ClientCalls.blockingUnaryCall(critical, Echo.SAY, CallOptions.DEFAULT, "hi"))
          .isEqualTo("hi");
    }

    assertThat(trusting.priorities).containsExactly(Priority.CRITICAL_PLUS);
    assertThat(wary.priorities).containsExactly(Priority.CRITICAL);
  }

  @Test
  void aCancelledStreamAndACallPastItsDeadlineAreReleasedOnTheServer() throws Exception {
    CountingLimiter limiter = new CountingLimiter(
        Limiter.newBuilder().algorithm(FixedLimit.of(4)).build());
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build()).channel;

    ClientCall<String, String> stream = channel.newCall(Echo.COUNT, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    stream.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    stream.request(10);
    stream.sendMessage("1:hang");
    stream.halfClose();
    echo.hanging.take();
    stream.cancel("the client went away", null);
    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);

    // gRPC's own timer: the test waits for it and asserts no timing.
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, Echo.SAY,
        CallOptions.DEFAULT.withDeadlineAfter(50, TimeUnit.MILLISECONDS), "hang"))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(
            e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));

    assertThat(echo.cancellations.tryAcquire(2, 10, TimeUnit.SECONDS)).isTrue();
    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED, Outcome.IGNORED);
    assertAtRest(limiter.delegate, 2);
  }

  @Test
  void theClientWaitsOutThePushbackTheServerSentAndThenIsServed() {
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
    long held = limiter.tryAcquire();
    Channel server = serve(AdmissionServerInterceptor.newBuilder(limiter).build()).channel;
    RecordingScheduler scheduler = RecordingScheduler.immediate()
        .beforeEach(() -> limiter.release(held, Outcome.SUCCESS));
    RetryClientInterceptorTest.Attempts attempts = new RetryClientInterceptorTest.Attempts();
    Channel channel = ClientInterceptors.intercept(server, attempts,
        RetryClientInterceptor.newBuilder(RetryPolicy.newBuilder().build())
            .scheduler(scheduler).build());
    try {
      assertThat(ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, "hi"))
          .isEqualTo("hi");

      assertThat(attempts.codes).containsExactly(Status.Code.UNAVAILABLE, Status.Code.OK);
      long pushbackNanos = Long.parseLong(attempts.pushbacks.get(0)) * 1_000_000L;
      assertThat(scheduler.delaysNanos).singleElement()
          .satisfies(d -> assertThat(d).isGreaterThanOrEqualTo(pushbackNanos));
      assertAtRest(limiter, 2);
    } finally {
      scheduler.shutdownNow();
    }
  }
}
