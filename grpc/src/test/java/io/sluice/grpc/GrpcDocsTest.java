package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.client.AdaptiveThrottle;
import io.sluice.client.RetryBudget;
import io.sluice.client.RetryPolicy;
import io.sluice.docs.DocSnippets;
import io.sluice.http.PriorityHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.rate.KeyedRateLimiter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java blocks of docs/20-grpc.md, line for line (the last test checks it), compiled and run
 * against in-process servers of a small shop: {@code shop.Search/Find}, {@code shop.Orders/Place},
 * {@code shop.Cart/Get} and the standard health check's name.
 */
class GrpcDocsTest {
  private static final MethodDescriptor<String, String> FIND = Echo.method("shop.Search", "Find",
      MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<String, String> PLACE = Echo.method("shop.Orders",
      "Place", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<String, String> GET = Echo.method("shop.Cart", "Get",
      MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<String, String> CHECK = Echo.method(
      "grpc.health.v1.Health", "Check", MethodDescriptor.MethodType.UNARY);
  private static final Metadata.Key<String> TENANT =
      Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PRIORITY =
      Metadata.Key.of("x-priority", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> CALLER = Context.key("caller");

  private final CountingLimiter limiter = new CountingLimiter(
      Limiter.newBuilder().algorithm(FixedLimit.of(1)).build());
  private final Limiter searchLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final Limiter ordersLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final AtomicInteger handled = new AtomicInteger();
  private final List<ServerServiceDefinition> shop = List.of(service(FIND), service(PLACE),
      service(GET), service(CHECK));
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<RecordingScheduler> schedulers = new ArrayList<>();
  /** An authentication interceptor: {@code authorization: gateway} is the gateway. */
  private final ServerInterceptor authentication = new ServerInterceptor() {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      Context context = "gateway".equals(headers.get(AUTHORIZATION))
          ? Context.current().withValue(CALLER, "gateway") : Context.current();
      return Contexts.interceptCall(context, call, headers, next);
    }
  };

  // --------------------------------------------------------------------------- the snippets

  /** Routes the shop's services to their limiters. */
  private AdmissionServerInterceptor routed(ServerBuilder<?> serverBuilder) {
    AdmissionServerInterceptor admission = AdmissionServerInterceptor.newBuilder(limiter)
        .service("shop.Search", searchLimiter)          // every method of a service
        .method("shop.Orders/Place", ordersLimiter)     // one method: wins over its service
        .bypass("grpc.health.v1.Health")                // health checks answer under overload
        .build();
    for (ServerServiceDefinition shopService : shop) {
      serverBuilder.addService(ServerInterceptors.intercept(shopService, admission));
    }
    return admission;
  }

  /** A quota of 100 calls a second per tenant, with bursts of 20. */
  private ServerInterceptor quota() {
    KeyedRateLimiter<String> quotas = KeyedRateLimiter.newBuilder()
        .rate(100, Duration.ofSeconds(1)).burst(20).build();
    ServerInterceptor quota = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String tenant = headers.get(TENANT);
        long ticket = quotas.tryAcquire(tenant == null ? "anonymous" : tenant);
        if (Ticket.isRejection(ticket)) {
          GrpcRefusals.standard().refuse(call, ticket);   // RESOURCE_EXHAUSTED, pushback
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
    return quota;
  }

  private AdmissionServerInterceptor byAddress() {
    AdmissionServerInterceptor admission = AdmissionServerInterceptor.newBuilder(limiter)
        .priority(PriorityHeader.newBuilder().build(),                     // x-priority
            CallerTrust.remoteAddresses(TrustedSources.of("10.0.0.0/8")))  // the gateways' network
        .build();
    return admission;
  }

  private void byAuthentication(ServerBuilder<?> serverBuilder) {
    AdmissionServerInterceptor trusting = AdmissionServerInterceptor.newBuilder(limiter)
        .priority(PriorityHeader.newBuilder().build(), CallerTrust.contextKey(CALLER))
        .build();
    for (ServerServiceDefinition shopService : shop) {
      serverBuilder.addService(ServerInterceptors.intercept(shopService, trusting, authentication));
    }
  }

  private void shadow(AdmissionServerInterceptor admission, Channel channel) {
    admission.monitorOnly(true);     // counts what it would refuse, refuses nothing
    assertThat(call(channel, GET)).isEqualTo("ok");
    admission.monitorOnly(false);    // enforces: one setting, at run time
  }

  private Channel client(ManagedChannel managedChannel, RecordingScheduler scheduler) {
    RetryPolicy policy = RetryPolicy.newBuilder()
        .budget(RetryBudget.of(0.1, 10))                       // retries at most 10% of calls
        .throttle(AdaptiveThrottle.newBuilder().build())       // fail fast while refused
        .build();
    Channel channel = ClientInterceptors.intercept(managedChannel,
        RetryClientInterceptor.newBuilder(policy).scheduler(scheduler).build());
    return channel;
  }

  // ------------------------------------------------------------------------------ the tests

  @Test
  void callsGoToTheLimiterOfTheirMethodOrServiceAndHealthChecksBypass() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    routed(serverBuilder);
    Channel channel = start(serverBuilder);
    long[] held = {limiter.tryAcquire(), searchLimiter.tryAcquire(), ordersLimiter.tryAcquire()};

    assertThat(code(channel, FIND)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(code(channel, PLACE)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(code(channel, GET)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(call(channel, CHECK)).isEqualTo("ok");

    assertThat(List.of(limiter.snapshot().rejected(), searchLimiter.snapshot().rejected(),
        ordersLimiter.snapshot().rejected())).containsExactly(1L, 1L, 1L);
    assertThat(handled).as("only the health check ran").hasValue(1);
    limiter.release(held[0], Outcome.SUCCESS);
    searchLimiter.release(held[1], Outcome.SUCCESS);
    ordersLimiter.release(held[2], Outcome.SUCCESS);
  }

  @Test
  void aTenantOverItsQuotaIsRefusedResourceExhaustedWithPushback() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    serverBuilder.addService(ServerInterceptors.intercept(service(GET), quota()));
    Channel alice = AdmissionServerInterceptorTest.withMetadata(start(serverBuilder), TENANT,
        "alice");

    StatusRuntimeException refused = null;
    int served = 0;
    while (refused == null && served < 10_000) { // the burst of 20 goes first; the refill is slow
      try {
        call(alice, GET);
        served++;
      } catch (StatusRuntimeException e) {
        refused = e;
      }
    }

    assertThat(served).isGreaterThanOrEqualTo(20);
    assertThat(refused).isNotNull();
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getStatus().getDescription()).startsWith("sluice RATE_LIMITED");
    assertThat(Long.parseLong(refused.getTrailers().get(GrpcRefusals.RETRY_PUSHBACK_MS)))
        .isBetween(1L, 10L); // a token every 10 ms
  }

  @Test
  void oddTenantMetadataIsServedUnderAKeyOfItsOwnNeverFailed() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    AdmissionServerInterceptor admission = AdmissionServerInterceptor.newBuilder(limiter).build();
    serverBuilder.addService(ServerInterceptors.intercept(service(GET), admission, quota()));
    Channel channel = start(serverBuilder);
    List<Channel> odd = List.of(
        AdmissionServerInterceptorTest.withMetadata(channel, TENANT, ""),
        AdmissionServerInterceptorTest.withMetadata(channel, TENANT, "x".repeat(4000)),
        AdmissionServerInterceptorTest.withMetadata(channel, TENANT, "alice, bob"),
        AdmissionServerInterceptorTest.withMetadata(
            AdmissionServerInterceptorTest.withMetadata(channel, TENANT, "alice"), TENANT, "bob"));

    for (Channel c : odd) {
      assertThat(call(c, GET)).isEqualTo("ok");
    }

    assertThat(limiter.priorities).hasSize(odd.size()).containsOnly(Priority.CRITICAL);
    assertThat(limiter.delegate.inFlight()).isZero();
  }

  @Test
  void aPeerOutsideTheGatewaysNetworkCannotRaiseItsPriority() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    serverBuilder.addService(ServerInterceptors.intercept(service(GET), byAddress()));
    Channel channel = start(serverBuilder);

    call(AdmissionServerInterceptorTest.withMetadata(channel, PRIORITY, "critical-plus"), GET);
    call(AdmissionServerInterceptorTest.withMetadata(channel, PRIORITY, "sheddable"), GET);

    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL, Priority.SHEDDABLE);
  }

  @Test
  void anAuthenticatedGatewayMayRaiseItsPriority() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    byAuthentication(serverBuilder);
    Channel channel = AdmissionServerInterceptorTest.withMetadata(start(serverBuilder), PRIORITY,
        "critical-plus");

    call(channel, GET);
    call(AdmissionServerInterceptorTest.withMetadata(channel, AUTHORIZATION, "gateway"), GET);

    assertThat(limiter.priorities).containsExactly(Priority.CRITICAL, Priority.CRITICAL_PLUS);
  }

  @Test
  void inShadowModeACallOverTheLimitIsServedAndCounted() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    AdmissionServerInterceptor admission = routed(serverBuilder);
    Channel channel = start(serverBuilder);
    long held = limiter.tryAcquire();

    shadow(admission, channel);

    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(1);
    assertThat(code(channel, GET)).isEqualTo(Status.Code.UNAVAILABLE);
    limiter.release(held, Outcome.SUCCESS);
  }

  @Test
  void theClientWaitsOutTheRefusalAndIsServed() throws IOException {
    InProcessServerBuilder serverBuilder = serverBuilder();
    routed(serverBuilder);
    ManagedChannel managedChannel = start(serverBuilder);
    RecordingScheduler scheduler = RecordingScheduler.immediate();
    schedulers.add(scheduler);
    Channel channel = client(managedChannel, scheduler);
    for (int i = 0; i < 3; i++) { // accepted calls: the throttle sees a server that answers
      assertThat(call(channel, GET)).isEqualTo("ok");
    }
    long held = limiter.tryAcquire();
    scheduler.beforeEach(() -> limiter.release(held, Outcome.SUCCESS)); // the server freed up

    assertThat(call(channel, GET)).isEqualTo("ok");
    assertThat(scheduler.delaysNanos).hasSize(1);
    assertThat(limiter.snapshot().rejected()).isEqualTo(1);
  }

  @Test
  void theDocsShowTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/20-grpc.md"),
        Path.of("src", "test", "java", "io", "sluice", "grpc", "GrpcDocsTest.java"));
  }

  // ------------------------------------------------------------------------------ helpers

  @AfterEach
  void shutDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    schedulers.forEach(RecordingScheduler::shutdownNow);
  }

  private InProcessServerBuilder serverBuilder() {
    return InProcessServerBuilder.forName("docs-" + System.identityHashCode(this) + "-"
        + servers.size());
  }

  private ManagedChannel start(InProcessServerBuilder serverBuilder) throws IOException {
    String name = "docs-" + System.identityHashCode(this) + "-" + servers.size();
    servers.add(serverBuilder.directExecutor().build().start());
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    channels.add(channel);
    return channel;
  }

  private ServerServiceDefinition service(MethodDescriptor<String, String> method) {
    return ServerServiceDefinition.builder(method.getServiceName())
        .addMethod(method, ServerCalls.asyncUnaryCall((request, response) -> {
          handled.incrementAndGet();
          response.onNext("ok");
          response.onCompleted();
        }))
        .build();
  }

  private static String call(Channel channel, MethodDescriptor<String, String> method) {
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT, "");
  }

  private static Status.Code code(Channel channel, MethodDescriptor<String, String> method) {
    try {
      call(channel, method);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
