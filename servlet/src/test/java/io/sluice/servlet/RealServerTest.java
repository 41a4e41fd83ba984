package io.sluice.servlet;

import static io.sluice.servlet.Loopback.assertNoPermitLeaked;
import static io.sluice.servlet.Loopback.send;
import static io.sluice.servlet.Loopback.sendAsync;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.servlet.OutcomeMapping.Ending;
import io.sluice.testing.ManualClock;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The filter in front of a servlet on real Jetty 12 and Tomcat 11 servers, over loopback with the
 * JDK HttpClient: refusals, bypass, priorities under overload, shadow mode, bad input, and the
 * outcome of every way a request ends. Requests that must be in flight wait on the app's gate.
 */
@Timeout(60)
class RealServerTest {
  private final TestApp app = new TestApp();
  private Server.Running server;

  @AfterEach
  void stop() throws Exception {
    app.close();
    if (server != null) {
      server.stop();
    }
  }

  private List<CompletableFuture<HttpResponse<String>>> hold(int count, String... headers)
      throws InterruptedException {
    List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      held.add(sendAsync(server.uri("/hold"), headers));
    }
    assertThat(app.holding.tryAcquire(count, 20, TimeUnit.SECONDS)).as("all held").isTrue();
    return held;
  }

  private static void assertAllOk(List<CompletableFuture<HttpResponse<String>>> responses) {
    for (CompletableFuture<HttpResponse<String>> response : responses) {
      assertThat(response.join().statusCode()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void aRefusalIsWrittenWithoutTheApplicationAndBypassedPathsStillAnswer(Server kind)
      throws Exception {
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(2)).build();
    server = kind.start(SluiceFilter.newBuilder(RouteTable.newBuilder(limiter)
        .bypass("/health").build()).build(), app);
    List<CompletableFuture<HttpResponse<String>>> held = hold(2);
    long calls = app.calls.get();

    HttpResponse<String> refused = send(server.uri("/fast"));
    HttpResponse<String> health = send(server.uri("/health"));

    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(refused.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(refused.headers().firstValueAsLong("Retry-After").orElse(0)).isPositive();
    assertThat(refused.headers().firstValue("RateLimit-Policy"))
        .hasValue("\"concurrency\";q=2;qu=\"concurrent-requests\"");
    assertThat(refused.headers().firstValue("RateLimit")).isPresent();
    assertThat(refused.body()).contains("\"status\":503", "\"reason\":\"LIMIT_REACHED\"");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(app.calls.get()).as("only /health reached the application").isEqualTo(calls + 1);

    app.openGate();
    assertAllOk(held);
    assertNoPermitLeaked(10, limiter);
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void criticalTrafficKeepsFlowingWhileSheddableTrafficIsShed(Server kind) throws Exception {
    // A clock that does not move: the contention that puts the shares in force never lapses.
    Limiter limiter = Limiter.newBuilder().clock(new ManualClock())
        .algorithm(FixedLimit.of(8)).priorityShares(1.0, 0.5, 0.25).build();
    server = kind.start(SluiceFilter.newBuilder(limiter).priorities(PriorityHeader.newBuilder()
        .trustedSources(TrustedSources.loopback()).build()).build(), app);

    // Sheddable work fills the limit; the first critical request finds no room.
    List<CompletableFuture<HttpResponse<String>>> batch = hold(8, "X-Priority", "sheddable");
    assertThat(send(server.uri("/fast"), "X-Priority", "critical").statusCode()).isEqualTo(503);
    app.openGate();
    assertAllOk(batch);

    // From now on sheddable work may fill a quarter of the limit, and critical work the rest.
    List<CompletableFuture<HttpResponse<String>>> sheddable = hold(2, "X-Priority", "sheddable");
    List<String> shed = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> response = send(server.uri("/fast"), "X-Priority", "sheddable");
      shed.add(response.statusCode() + " " + response.body().contains("PRIORITY_SHED"));
    }
    List<CompletableFuture<HttpResponse<String>>> critical = hold(6, "X-Priority", "critical");

    assertThat(shed).containsOnly("503 true");
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(6);
    assertThat(limiter.inFlight()).isEqualTo(8);
    app.openGate();
    assertAllOk(sheddable);
    assertAllOk(critical);
    assertNoPermitLeaked(10, limiter);
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void shadowModeLetsEverythingThroughAndCountsWhatItWouldHaveRefused(Server kind)
      throws Exception {
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(2)).build();
    SluiceFilter filter = SluiceFilter.newBuilder(limiter).monitorOnly(true).build();
    server = kind.start(filter, app);

    List<CompletableFuture<HttpResponse<String>>> held = hold(4);
    assertThat(limiter.inFlight()).isEqualTo(4);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(2);

    filter.monitorOnly(false); // enforcing, at run time
    assertThat(send(server.uri("/fast")).statusCode()).isEqualTo(503);
    app.openGate();
    assertAllOk(held);
    assertNoPermitLeaked(10, limiter);
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void badInputGetsA4xxOrTheDefaultLevelAndNeverA500(Server kind) throws Exception {
    SpyLimiter limiter = new SpyLimiter(16);
    server = kind.start(SluiceFilter.newBuilder(limiter)
        .tenants(TenantHeader.newBuilder().build())
        .priorities(PriorityHeader.newBuilder().trustedSources(TrustedSources.loopback()).build())
        .build(), app);

    List<Integer> tenants = new ArrayList<>();
    tenants.add(send(server.uri("/fast"), "X-Tenant", "a", "X-Tenant", "b").statusCode());
    tenants.add(send(server.uri("/fast"), "X-Tenant", "a, b").statusCode());
    tenants.add(send(server.uri("/fast"), "X-Tenant", "t".repeat(4_000)).statusCode());
    HttpResponse<String> malformed = send(server.uri("/fast"), "X-Tenant", "");
    tenants.add(malformed.statusCode());
    assertThat(tenants).containsOnly(400);
    assertThat(malformed.body()).contains("X-Tenant");

    List<Integer> priorities = new ArrayList<>();
    priorities.add(send(server.uri("/fast"), "X-Priority", "critical-plus",
        "X-Priority", "sheddable").statusCode());
    priorities.add(send(server.uri("/fast"), "X-Priority", "ultra-critical").statusCode());
    priorities.add(send(server.uri("/fast"), "X-Priority", "\u00e9\u00ff").statusCode());
    priorities.add(send(server.uri("/fast"), "X-Priority", "p".repeat(4_000)).statusCode());
    assertThat(priorities).containsOnly(200);
    assertThat(limiter.priorities).containsExactly(Priority.SHEDDABLE, Priority.CRITICAL,
        Priority.CRITICAL, Priority.CRITICAL);

    // Fields larger than the server accepts never reach the filter: the server's own 4xx.
    int huge = send(server.uri("/fast"), "X-Priority", "p".repeat(64 * 1024)).statusCode();
    assertThat(huge).isBetween(400, 499);
    int unknownRoute = send(server.uri("/no/such/route")).statusCode();
    assertThat(unknownRoute).isEqualTo(404);
    assertThat(limiter.outcomes).containsExactly(Outcome.SUCCESS, Outcome.SUCCESS,
        Outcome.SUCCESS, Outcome.SUCCESS, Outcome.IGNORED);
    assertNoPermitLeaked(10, limiter);
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void everyWayARequestEndsReleasesItsPermitOnceWithItsOutcome(Server kind) throws Exception {
    SpyLimiter limiter = new SpyLimiter(16);
    server = kind.start(SluiceFilter.newBuilder(limiter).build(), app);

    assertThat(send(server.uri("/fast")).statusCode()).isEqualTo(200);
    assertThat(send(server.uri("/async")).statusCode()).isEqualTo(200);
    assertThat(send(server.uri("/503")).statusCode()).isEqualTo(503);
    assertThat(send(server.uri("/throw")).statusCode()).isEqualTo(500);
    assertThat(send(server.uri("/throw-timeout")).statusCode()).isEqualTo(500);
    assertThat(send(server.uri("/async-timeout")).statusCode()).isEqualTo(500);

    assertNoPermitLeaked(10, limiter);
    assertThat(limiter.outcomes).containsExactlyInAnyOrder(Outcome.SUCCESS, Outcome.SUCCESS,
        Outcome.DROPPED, Outcome.IGNORED, Outcome.DROPPED, Outcome.DROPPED);
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void aClientThatLeavesMidStreamIsReleasedAsIgnored(Server kind) throws Exception {
    SpyLimiter limiter = new SpyLimiter(16);
    List<Ending> endings = new CopyOnWriteArrayList<>();
    server = kind.start(SluiceFilter.newBuilder(limiter).outcomes((ending, status, failure) -> {
      endings.add(ending);
      return OutcomeMapping.standard().outcome(ending, status, failure);
    }).build(), app);

    HttpResponse<InputStream> streaming = Loopback.CLIENT.send(
        Loopback.get(server.uri("/abort")), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = streaming.body()) {
      assertThat(body.read()).isNotNegative(); // the first byte, then the client hangs up
    }

    assertNoPermitLeaked(10, limiter);
    assertThat(limiter.outcomes).containsExactly(Outcome.IGNORED);
    assertThat(endings).containsExactly(Ending.CLIENT_ABORTED);
  }

  @ParameterizedTest
  @EnumSource(Server.class)
  void theFirstByteSamplesSynchronousAndAsyncResponses(Server kind) throws Exception {
    SpyLimiter limiter = new SpyLimiter(16);
    server = kind.start(SluiceFilter.newBuilder(limiter).sampleAtFirstByte(true).build(), app);

    assertThat(send(server.uri("/fast")).body()).isEqualTo("ok");
    assertThat(send(server.uri("/async")).body()).isEqualTo("ok");
    assertThat(send(server.uri("/204")).statusCode()).isEqualTo(204);

    assertNoPermitLeaked(10, limiter);
    assertThat(limiter.samples).hasSize(2);
    assertThat(limiter.delegate.snapshot().invalidSamples()).isZero();
    assertThat(limiter.outcomes).containsOnly(Outcome.SUCCESS).hasSize(3);
  }
}
