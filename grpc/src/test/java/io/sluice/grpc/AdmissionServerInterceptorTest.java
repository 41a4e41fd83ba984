package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.http.PriorityHeader;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server interceptor on an in-process server: admission and refusal, exactly-once release on
 * every way a call ends (unary, streaming, cancelled, past its deadline, handler exceptions),
 * per-method limiters, priorities under a trust policy, and shadow mode.
 */
class AdmissionServerInterceptorTest {
  private static final Context.Key<String> CALLER = Context.key("caller");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PRIORITY =
      Metadata.Key.of("x-priority", Metadata.ASCII_STRING_MARSHALLER);

  private final ManualClock clock = new ManualClock();
  private final Echo echo = new Echo();
  private final List<Harness> harnesses = new ArrayList<>();

  @AfterEach
  void shutDown() {
    for (Harness h : harnesses) {
      h.close();
    }
  }

  private Limiter limiter(int limit) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit))
        .priorityShares(0.9, 0.75, 0.5).build();
  }

  private Channel serve(AdmissionServerInterceptor admission, ServerInterceptor... before) {
    List<ServerInterceptor> chain = new ArrayList<>();
    chain.add(admission);
    chain.addAll(List.of(before)); // added last, called first: they run before admission
    ServerServiceDefinition echoService = ServerInterceptors.intercept(echo.service(), chain);
    ServerServiceDefinition health = ServerInterceptors.intercept(echo.health(), chain);
    Harness h = Harness.inProcess(List.of(echoService, health));
    harnesses.add(h);
    return h.channel;
  }

  private static String say(Channel channel, String request) {
    return ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, request);
  }

  private static StatusRuntimeException refusalOf(Channel channel, String request) {
    try {
      say(channel, request);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call was not refused");
  }

  private static void assertAtRest(Limiter limiter, long admitted) {
    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.inFlight()).as("in flight").isZero();
    assertThat(s.admitted()).as("admitted").isEqualTo(admitted);
    assertThat(s.completed()).as("released").isEqualTo(admitted);
    assertThat(s.invalidReleases()).as("second releases").isZero();
  }

  @Test
  void anAdmittedUnaryCallIsReleasedOnceAsASuccess() {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build());

    assertThat(say(channel, "hello")).isEqualTo("hello");
    assertThat(say(channel, "again")).isEqualTo("again");

    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS, Outcome.SUCCESS);
    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL, Priority.CRITICAL);
    assertAtRest(limiter.delegate, 2);
  }

  @Test
  void aCallOverTheLimitIsRefusedUnavailableWithPushbackAndNeverReachesTheHandler() {
    Limiter limiter = limiter(1);
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build());
    long held = limiter.tryAcquire();

    StatusRuntimeException refused = refusalOf(channel, "hello");

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    String pushback = refused.getTrailers().get(GrpcRefusals.RETRY_PUSHBACK_MS);
    assertThat(Long.parseLong(pushback)).isBetween(10L, 60_000L); // the limiter's range
    assertThat(refused.getStatus().getDescription())
        .isEqualTo("sluice LIMIT_REACHED: the server is at its concurrency limit; retry after "
            + pushback + " ms");
    assertThat(echo.started).hasValue(0);
    assertThat(limiter.snapshot().rejected()).isEqualTo(1);
    limiter.release(held, Outcome.SUCCESS);
    assertAtRest(limiter, 1);
  }

  @Test
  void anOverloadMayBeAnsweredResourceExhaustedInstead() {
    Limiter limiter = limiter(1);
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .refusals(GrpcRefusals.overloadCode(Status.Code.RESOURCE_EXHAUSTED)).build());
    long held = limiter.tryAcquire();

    StatusRuntimeException refused = refusalOf(channel, "hello");

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getTrailers().containsKey(GrpcRefusals.RETRY_PUSHBACK_MS)).isTrue();
    limiter.release(held, Outcome.SUCCESS);
  }

  @Test
  void aHandlerThatThrowsReleasesItsPermitOnceAsIgnored() {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build());

    assertThat(refusalOf(channel, "throw").getStatus().getCode())
        .isEqualTo(Status.Code.UNKNOWN);

    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED);
    assertAtRest(limiter.delegate, 1);
  }

  @Test
  void aHandlerThatThrowsWhenTheCallStartsReleasesItsPermit() {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    ServerCallHandler<String, String> broken = (call, headers) -> {
      throw new IllegalStateException("startCall failed");
    };
    ServerServiceDefinition service = ServerInterceptors.intercept(
        ServerServiceDefinition.builder(Echo.SERVICE).addMethod(Echo.SAY, broken).build(),
        AdmissionServerInterceptor.newBuilder(limiter).build());
    Harness h = Harness.inProcess(List.of(service));
    harnesses.add(h);

    assertThatThrownBy(() -> say(h.channel, "hello")).isInstanceOf(StatusRuntimeException.class);

    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED);
    assertAtRest(limiter.delegate, 1);
  }

  @Test
  void theStatusAHandlerClosesWithDecidesTheOutcome() {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .outcome(Status.Code.INTERNAL, Outcome.DROPPED).build());

    for (String code : List.of("UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED",
        "INVALID_ARGUMENT", "NOT_FOUND", "INTERNAL")) {
      assertThat(refusalOf(channel, "status:" + code).getStatus().getCode().name())
          .isEqualTo(code);
    }

    assertThat(limiter.outcomes).containsExactly(Outcome.DROPPED, Outcome.DROPPED,
        Outcome.DROPPED, Outcome.IGNORED, Outcome.IGNORED, Outcome.DROPPED);
    assertAtRest(limiter.delegate, 6);
  }

  @Test
  void aStreamHoldsItsPermitUntilItClosesAndSamplesAtItsFirstMessage() throws Exception {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build());

    Iterator<String> stream = ClientCalls.blockingServerStreamingCall(channel, Echo.COUNT,
        CallOptions.DEFAULT, "3:hang");
    assertThat(stream.next()).isEqualTo("1");
    assertThat(stream.next()).isEqualTo("2");
    assertThat(stream.next()).isEqualTo("3");
    assertThat(limiter.inFlight()).as("held while the stream is open").isEqualTo(1);
    assertThat(limiter.samplesTaken).as("one milestone, at the first message").hasValue(1);

    echo.hanging.take().onCompleted();
    assertThat(stream.hasNext()).isFalse();

    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS);
    assertThat(limiter.samplesRefused).hasValue(0);
    assertAtRest(limiter.delegate, 1);
  }

  @Test
  void withoutMilestonesAStreamTakesItsSampleAtTheEnd() {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .sampleAtFirstMessage(false).build());

    Iterator<String> stream = ClientCalls.blockingServerStreamingCall(channel, Echo.COUNT,
        CallOptions.DEFAULT, "2");
    stream.forEachRemaining(m -> { });
    assertThat(say(channel, "unary calls never take a milestone")).isNotEmpty();

    assertThat(limiter.samplesTaken).hasValue(0);
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS, Outcome.SUCCESS);
  }

  @Test
  void aStreamTheClientCancelsIsReleasedOnceAsIgnored() throws Exception {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build());

    ClientCall<String, String> call = channel.newCall(Echo.COUNT, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = start(call, "2:hang");
    echo.hanging.take();
    call.cancel("the client went away", null);

    assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(echo.cancellations.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED);
    assertAtRest(limiter.delegate, 1);
  }

  @Test
  void aCallPastItsDeadlineIsReleasedOnceWithTheCancelledOutcome() throws Exception {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .cancelledOutcome(Outcome.DROPPED).build());

    // The deadline is real time (gRPC's timer): the test waits for it, and asserts no timing.
    StatusRuntimeException e = refusalOf(withDeadline(channel, 50), "hang");

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(echo.cancellations.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    assertThat(limiter.outcomes).containsExactly(Outcome.DROPPED);
    assertAtRest(limiter.delegate, 1);
  }

  @Test
  void aBidiCallThatHalfClosesThenClosesIsReleasedOnce() throws Exception {
    CountingLimiter limiter = new CountingLimiter(limiter(4));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter).build());

    ClientCall<String, String> call = channel.newCall(Echo.CHAT, CallOptions.DEFAULT);
    List<String> heard = new ArrayList<>();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(String message) {
        heard.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(10);
    call.sendMessage("a");
    call.sendMessage("b");
    call.halfClose();

    assertThat(closed.get(10, TimeUnit.SECONDS).isOk()).isTrue();
    assertThat(heard).containsExactly("a", "b");
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS);
    assertAtRest(limiter.delegate, 1);
  }

  @Test
  void methodsAndServicesGoToTheirOwnLimitersAndHealthChecksBypass() {
    Limiter fallback = limiter(1);
    Limiter service = limiter(1);
    Limiter say = limiter(1);
    AdmissionServerInterceptor admission = AdmissionServerInterceptor.newBuilder(fallback)
        .service(Echo.SERVICE, service)
        .method(Echo.SAY.getFullMethodName(), say)
        .bypass(Echo.HEALTH_SERVICE)
        .build();
    Channel channel = serve(admission);
    long[] held = {fallback.tryAcquire(), service.tryAcquire(), say.tryAcquire()};

    assertThat(refusalOf(channel, "hello").getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(say.snapshot().rejected()).isEqualTo(1);
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, Echo.SAY_IDEMPOTENT,
        CallOptions.DEFAULT, "x")).isInstanceOf(StatusRuntimeException.class);
    assertThat(service.snapshot().rejected()).isEqualTo(1);
    assertThat(ClientCalls.blockingUnaryCall(channel, Echo.CHECK, CallOptions.DEFAULT, ""))
        .as("health checks answer under overload").isEqualTo("SERVING");
    assertThat(fallback.snapshot().rejected()).isZero();

    assertThat(admission.limiterOf(Echo.SAY.getFullMethodName())).isSameAs(say);
    assertThat(admission.limiterOf(Echo.COUNT.getFullMethodName())).isSameAs(service);
    assertThat(admission.limiterOf("other.Service/Method")).isSameAs(fallback);
    assertThat(admission.limiterOf(Echo.CHECK.getFullMethodName())).isNull();
    fallback.release(held[0], Outcome.SUCCESS);
    service.release(held[1], Outcome.SUCCESS);
    say.release(held[2], Outcome.SUCCESS);
  }

  @Test
  void anUntrustedCallerMayLowerItsPriorityButNeverRaiseIt() {
    CountingLimiter limiter = new CountingLimiter(limiter(10));
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .priority(PriorityHeader.newBuilder().build(), CallerTrust.contextKey(CALLER))
        .build(), authenticator());

    say(withMetadata(channel, PRIORITY, "critical-plus"), "untrusted raise");
    say(withMetadata(channel, PRIORITY, "sheddable"), "untrusted lower");
    say(withMetadata(withMetadata(channel, PRIORITY, "critical-plus"), AUTHORIZATION, "gateway"),
        "trusted raise");

    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL, Priority.SHEDDABLE,
        Priority.CRITICAL_PLUS);
  }

  @Test
  void malformedPriorityMetadataGivesTheDefaultLevelNeverAnError() {
    CountingLimiter limiter = new CountingLimiter(limiter(10));
    CallerTrust broken = (call, headers) -> {
      throw new IllegalStateException("a trust policy with a bug");
    };
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .priority(PriorityHeader.newBuilder().build(), CallerTrust.everyone()).build());
    Channel brokenTrust = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .priority(PriorityHeader.newBuilder().build(), broken).build());

    List<String> values = List.of("", "urgent", "critical-plus;q=1", "\u00e9", "x".repeat(4000),
        "critical, critical-plus", " SHEDDABLE_PLUS ");
    for (String value : values) {
      assertThat(say(withMetadata(channel, PRIORITY, value), "ok")).isEqualTo("ok");
    }
    assertThat(say(withMetadata(withMetadata(channel, PRIORITY, "sheddable"), PRIORITY,
        "critical-plus"), "repeated")).isEqualTo("repeated");
    assertThat(say(withMetadata(brokenTrust, PRIORITY, "critical-plus"), "broken trust"))
        .isEqualTo("broken trust");

    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL, Priority.CRITICAL,
        Priority.CRITICAL, Priority.CRITICAL, Priority.CRITICAL, Priority.CRITICAL,
        Priority.SHEDDABLE_PLUS, Priority.SHEDDABLE, Priority.CRITICAL);
    assertAtRest(limiter.delegate, values.size() + 2);
  }

  @Test
  void underContentionSheddableCallsAreShedWhileCriticalOnesFlow() {
    Limiter limiter = limiter(10);
    Channel channel = serve(AdmissionServerInterceptor.newBuilder(limiter)
        .priority(PriorityHeader.newBuilder().build(), CallerTrust.contextKey(CALLER))
        .build(), authenticator());
    Channel sheddable = withMetadata(channel, PRIORITY, "sheddable");
    Channel critical = channel;
    Channel criticalPlus = withMetadata(withMetadata(channel, PRIORITY, "critical-plus"),
        AUTHORIZATION, "gateway");
    long[] held = new long[10];
    for (int i = 0; i < held.length; i++) {
      held[i] = limiter.tryAcquire(1, Priority.CRITICAL);
    }
    // A critical-plus call finds no room: contention, and the shares come into force.
    assertThat(refusalOf(criticalPlus, "x").getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    // Shares of a limit of 10: CRITICAL 9, SHEDDABLE_PLUS 7, SHEDDABLE 5.
    for (int i = 0; i < 6; i++) {
      limiter.release(held[i], Outcome.SUCCESS); // 4 in flight
    }

    assertThat(say(sheddable, "a")).as("sheddable within its share (5)").isEqualTo("a");
    long keep = limiter.tryAcquire(1, Priority.CRITICAL); // 5 in flight: SHEDDABLE's share
    StatusRuntimeException shed = refusalOf(sheddable, "b");
    assertThat(shed).as("sheddable shed").isNotNull();
    assertThat(shed.getStatus().getDescription()).startsWith("sluice PRIORITY_SHED:");
    assertThat(say(critical, "c")).as("critical flows (6 <= 9)").isEqualTo("c");
    assertThat(say(criticalPlus, "d")).as("critical-plus flows").isEqualTo("d");
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(1);
    limiter.release(keep, Outcome.SUCCESS);
    for (int i = 6; i < held.length; i++) {
      limiter.release(held[i], Outcome.SUCCESS);
    }
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void inShadowModeEveryCallIsServedAndTheRefusalsAreCounted() {
    Limiter limiter = limiter(1);
    AdmissionServerInterceptor admission = AdmissionServerInterceptor.newBuilder(limiter).build();
    Channel channel = serve(admission);
    long held = limiter.tryAcquire();

    admission.monitorOnly(true);
    assertThat(say(channel, "served")).isEqualTo("served");
    assertThat(say(channel, "served")).isEqualTo("served");
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(2);

    admission.monitorOnly(false);
    assertThat(refusalOf(channel, "refused").getStatus().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(limiter.snapshot().rejected() - limiter.snapshot().monitoredRejections())
        .isEqualTo(1);
    limiter.release(held, Outcome.SUCCESS);
    assertAtRest(limiter, 3);
  }

  @Test
  void badConfigurationFailsAtBuildTimeNamingTheParameter() {
    Limiter limiter = limiter(1);
    AdmissionServerInterceptor.Builder builder = AdmissionServerInterceptor.newBuilder(limiter);
    assertThatThrownBy(() -> builder.method("NoSlash", limiter))
        .hasMessageContaining("fullMethodName");
    assertThatThrownBy(() -> builder.service("a/b", limiter)).hasMessageContaining("serviceName");
    builder.method("a.B/C", limiter);
    assertThatThrownBy(() -> builder.bypass("a.B/C")).hasMessageContaining("twice");
    assertThatThrownBy(() -> builder.priority(
        PriorityHeader.newBuilder().name("X-Priority-Bin").build(), CallerTrust.none()))
        .hasMessageContaining("header");
    assertThatThrownBy(() -> builder.priority(
        PriorityHeader.newBuilder().name("grpc-priority").build(), CallerTrust.none()))
        .hasMessageContaining("header");
    assertThatThrownBy(() -> GrpcRefusals.overloadCode(Status.Code.INTERNAL))
        .hasMessageContaining("overloadCode");
    assertThatThrownBy(() -> AdmissionServerInterceptor.newBuilder(null))
        .hasMessageContaining("defaultLimiter");
  }

  // ------------------------------------------------------------------------------ helpers

  /** An authentication interceptor: a call with {@code authorization: gateway} is the gateway. */
  private static ServerInterceptor authenticator() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if ("gateway".equals(headers.get(AUTHORIZATION))) {
          return Contexts.interceptCall(Context.current().withValue(CALLER, "gateway"), call,
              headers, next);
        }
        return next.startCall(call, headers);
      }
    };
  }

  static Channel withMetadata(Channel channel, Metadata.Key<String> key, String value) {
    Metadata metadata = new Metadata();
    metadata.put(key, value);
    return io.grpc.ClientInterceptors.intercept(channel,
        MetadataUtils.newAttachHeadersInterceptor(metadata));
  }

  private static Channel withDeadline(Channel channel, long millis) {
    return io.grpc.ClientInterceptors.intercept(channel, new io.grpc.ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return next.newCall(method, options.withDeadlineAfter(millis, TimeUnit.MILLISECONDS));
      }
    });
  }

  private static CompletableFuture<Status> start(ClientCall<String, String> call, String request) {
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(Integer.MAX_VALUE);
    call.sendMessage(request);
    call.halfClose();
    return closed;
  }
}
