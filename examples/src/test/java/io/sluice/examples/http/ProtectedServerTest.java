package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.examples.http.LoadGenerator.Kind;
import io.sluice.examples.http.LoadGenerator.Sample;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.TrustedSources;
import io.sluice.metrics.ExecutorSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The protected server on an ephemeral loopback port. The overload test sends 1,000 requests at
 * 400 per second, four times what its pool of 4 connections x 40 ms can serve, over 2.5 s; every
 * wait is bounded (10 s for a run, 5 s for a request), and the rate is modest so that the client
 * and the server share two busy cores without starving each other.
 */
class ProtectedServerTest {
  private static final int CONNECTIONS = 4;
  private static final Duration SERVICE = Duration.ofMillis(40);
  private static final Duration DEADLINE = Duration.ofMillis(100);
  /**
   * The bound on an admitted request's latency. The server waits at most the deadline for
   * admission and a connection, and a query takes at most three times its mean (120 ms); the
   * rest, two seconds, is headroom for a busy two-core CI machine running client and server at
   * once (the bound holds the server to its deadline, not to a benchmark figure).
   */
  private static final Duration ADMITTED_BOUND =
      DEADLINE.plus(SERVICE.multipliedBy(3)).plusSeconds(2);

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void overloadIsAnsweredWith503sThatCarryRetryAfterAndAProblemAndTheServerRecovers()
      throws Exception {
    ConnectionPool pool = ConnectionPool.create(CONNECTIONS, SERVICE);
    try (ProtectedServer server = ProtectedServer.newBuilder(pool).requestTimeout(DEADLINE)
        .start()) {
      ConcurrentLinkedQueue<HttpResponse<String>> refusals = new ConcurrentLinkedQueue<>();
      try (LoadGenerator load = LoadGenerator.newBuilder(server.queryUri())
          .timeout(Duration.ofSeconds(5))
          .maxOutstanding(2000)
          .onResponse(r -> {
            if (r.statusCode() != 200) {
              refusals.add(r);
            }
          })
          .build()) {
        load.run(200, 200).get(10, TimeUnit.SECONDS); // JIT and connections; not checked
        refusals.clear();
        List<Sample> samples = load.run(400, 1000).get(10, TimeUnit.SECONDS);

        assertEveryRequestGotAnHttpAnswer(samples);
        assertThat(count(samples, 503)).as("overload was reached").isPositive();
        assertThat(count(samples, 200)).as("work was still admitted").isPositive();
        assertThat(refusals).hasSize(count(samples, 503));
        for (HttpResponse<String> refusal : refusals) {
          assertIsAValid503(refusal);
        }
        for (Sample s : samples) {
          if (s.answered(200)) {
            assertThat(Duration.ofNanos(s.doneNanos() - s.sentNanos()))
                .as("latency of an admitted request").isLessThanOrEqualTo(ADMITTED_BOUND);
          }
        }
      }
      assertServesNormallyAgain(server.queryUri());
    }
  }

  @Test
  void metricsAccountForEveryRefusalAClientSawAndHealthAnswers() throws Exception {
    ConnectionPool pool = ConnectionPool.create(CONNECTIONS, SERVICE);
    try (ProtectedServer server = ProtectedServer.newBuilder(pool).requestTimeout(DEADLINE)
        .observability(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .start();
        LoadGenerator load = LoadGenerator.newBuilder(server.queryUri())
            .timeout(Duration.ofSeconds(5)).maxOutstanding(2000).build()) {
      List<Sample> samples = new ArrayList<>(load.run(200, 200).get(10, TimeUnit.SECONDS));
      samples.addAll(load.run(400, 800).get(10, TimeUnit.SECONDS));
      assertEveryRequestGotAnHttpAnswer(samples);
      int refused = count(samples, 503);
      assertThat(refused).as("overload was reached").isPositive();

      HttpResponse<String> scrape = send(server.uri("/metrics"));
      assertThat(scrape.statusCode()).isEqualTo(200);
      // Every 503 was counted once: refused at submission, shed from the queue, or refused a
      // connection by the pool guard.
      double counted = scrape.body().lines()
          .filter(line -> line.startsWith("sluice_executor_rejected_total{")
              || line.startsWith("sluice_executor_shed_total{")
              || line.startsWith("sluice_pool_rejected_total{"))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
          .sum();
      assertThat(counted).as(scrape.body()).isEqualTo(refused);
      assertThat(scrape.body()).contains("sluice_limiter_limit{name=\"api\"}");

      HttpResponse<String> health = send(server.uri("/health"));
      Map<String, Object> body = MiniJson.object(health.body());
      assertThat(body.get("status")).as(health.body()).isIn("OK", "DEGRADED", "OVERLOADED");
      assertThat(health.statusCode()).isEqualTo("OVERLOADED".equals(body.get("status")) ? 503 : 200);
    }
  }

  @Test
  void mountedHandlersAnswerBesideQueriesAndTheGuardsAreExposed() throws Exception {
    ConnectionPool pool = ConnectionPool.create(2, Duration.ofMillis(1));
    try (ProtectedServer server = ProtectedServer.newBuilder(pool)
        .requestTimeout(Duration.ofSeconds(5))
        .context("/ping", (request, response, callback) -> {
          response.setStatus(204);
          callback.succeeded();
          return true;
        })
        .start()) {
      URI ping = server.queryUri().resolve("/ping");
      assertThat(send(ping).statusCode()).isEqualTo(204);
      HttpResponse<String> query =
          send(server.queryUri(), PriorityHeader.DEFAULT_NAME, "sheddable");
      assertThat(query.statusCode()).as(query.body()).isEqualTo(200);
      assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
      assertThat(server.limiter()).isSameAs(server.executor().limiter());
      assertThat(server.poolGuard().limiter().limit()).isEqualTo(4 * pool.size());
      assertThat(server.limit()).isEqualTo(server.limiter().limit());
    }
  }

  @Test
  void aTenantOverItsQuotaGets429AndOtherTenantsDoNot() throws Exception {
    ConnectionPool pool = ConnectionPool.create(2, Duration.ofMillis(1));
    try (ProtectedServer server = ProtectedServer.newBuilder(pool).tenantQuota(1, 1)
        .requestTimeout(Duration.ofSeconds(5)).start()) {
      List<HttpResponse<String>> alice = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        alice.add(send(server.queryUri(), ProtectedServer.TENANT_HEADER, "alice"));
      }
      // One token per second and a burst of one: five requests in a row cannot all pass.
      List<HttpResponse<String>> refused = alice.stream().filter(r -> r.statusCode() == 429)
          .collect(Collectors.toList());
      assertThat(refused).isNotEmpty();
      assertThat(alice.get(0).statusCode()).as(alice.get(0).body()).isEqualTo(200);
      for (HttpResponse<String> r : refused) {
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(r.headers().firstValue("RateLimit-Policy")).hasValue("\"tenant\";q=1;w=1");
        assertThat(r.headers().firstValue("RateLimit")).hasValue("\"tenant\";r=0;t=1;pk=:YWxpY2U=:");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(MiniJson.object(r.body())).containsEntry("type", HttpRefusals.QUOTA_TYPE)
            .containsEntry("status", 429.0).containsEntry("reason", "RATE_LIMITED");
      }
      HttpResponse<String> bob = send(server.queryUri(), ProtectedServer.TENANT_HEADER, "bob");
      assertThat(bob.statusCode()).as(bob.body()).isEqualTo(200);
    }
  }

  @Test
  void anUntrustedClientCannotRaiseItsPriorityButATrustedGatewayCan() throws Exception {
    ConnectionPool pool = ConnectionPool.create(2, Duration.ofMillis(1));
    try (ProtectedServer open = ProtectedServer.newBuilder(pool)
        .requestTimeout(Duration.ofSeconds(5)).start()) {
      assertThat(send(open.queryUri(), PriorityHeader.DEFAULT_NAME, "critical-plus").statusCode())
          .isEqualTo(200);
      assertThat(send(open.queryUri(), PriorityHeader.DEFAULT_NAME, "sheddable").statusCode())
          .isEqualTo(200);
      ExecutorSnapshot admitted = open.executor().snapshot();
      assertThat(admitted.admitted(Priority.CRITICAL_PLUS)).as("raised by itself").isZero();
      assertThat(admitted.admitted(Priority.CRITICAL)).isEqualTo(1);
      assertThat(admitted.admitted(Priority.SHEDDABLE)).as("lowered by itself").isEqualTo(1);
    }
    try (ProtectedServer behindGateway = ProtectedServer.newBuilder(pool)
        .requestTimeout(Duration.ofSeconds(5))
        .trustedSources(TrustedSources.loopback()).start()) {
      assertThat(send(behindGateway.queryUri(), PriorityHeader.DEFAULT_NAME, "critical-plus")
          .statusCode()).isEqualTo(200);
      assertThat(behindGateway.executor().snapshot().admitted(Priority.CRITICAL_PLUS))
          .isEqualTo(1);
    }
  }

  /**
   * A tenant named in UTF-8 is echoed as the octets it sent: {@code Zoë} is {@code 5A 6F C3 AB},
   * {@code :Wm/Dqw==:}. Jetty hands the field over one character per octet; encoding that string
   * in UTF-8 again gave {@code :Wm/Dg8Kr:}, and the client could not recognize its partition.
   */
  @Test
  void aNonAsciiTenantIsEchoedAsTheOctetsItSent() throws Exception {
    ConnectionPool pool = ConnectionPool.create(2, Duration.ofMillis(1));
    try (ProtectedServer server = ProtectedServer.newBuilder(pool).tenantQuota(1, 1)
        .requestTimeout(Duration.ofSeconds(5)).start()) {
      byte[] head = RawHttp.head("GET", "/query", "X-Tenant: Zoë")
          .getBytes(StandardCharsets.UTF_8);
      List<RawHttp.Answer> answers = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        try (RawHttp connection = new RawHttp(server.queryUri(), 5_000)) {
          connection.write(head);
          answers.add(connection.read());
        }
      }
      // One token per second and a burst of one: five requests in a row cannot all pass.
      List<RawHttp.Answer> refused = answers.stream().filter(a -> a.status() == 429)
          .collect(Collectors.toList());
      assertThat(refused).isNotEmpty();
      for (RawHttp.Answer a : refused) {
        assertThat(a.header("RateLimit")).isEqualTo("\"tenant\";r=0;t=1;pk=:Wm/Dqw==:");
      }
    }
  }

  @Test
  void aMalformedTenantIs400WithAProblemAndRunsNoQuery() throws Exception {
    ConnectionPool pool = ConnectionPool.create(2, Duration.ofMillis(1));
    try (ProtectedServer server = ProtectedServer.newBuilder(pool).tenantQuota(100, 100)
        .requestTimeout(Duration.ofSeconds(5)).start()) {
      for (String[] fields : new String[][] {{"X-Tenant: alice", "X-Tenant: bob"},
          {"X-Tenant: alice, bob"}, {"X-Tenant: " + "x".repeat(129)}, {"X-Tenant:  "}}) {
        try (RawHttp connection = new RawHttp(server.queryUri(), 5_000)) {
          connection.write(RawHttp.head("GET", "/query", fields));
          RawHttp.Answer answer = connection.read();
          assertThat(answer.status()).as("%.40s", String.join(" | ", fields)).isEqualTo(400);
          assertThat(answer.header("Content-Type")).isEqualTo(HttpRefusals.PROBLEM_JSON);
          assertThat(MiniJson.object(answer.body())).containsEntry("status", 400.0)
              .containsEntry("title", "Bad Request");
          assertThat((String) MiniJson.object(answer.body()).get("detail"))
              .startsWith("The X-Tenant header field is malformed: ");
        }
      }
      assertThat(server.executor().snapshot().admitted()).isZero();
      assertThat(server.inFlight()).isZero();
    }
  }

  @Test
  void badConfigurationIsNamed() {
    ProtectedServer.Builder b = ProtectedServer.newBuilder(
        ConnectionPool.create(1, Duration.ofMillis(1)));
    assertThatThrownBy(() -> b.port(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port must be in [0, 65535] but was -1");
    assertThatThrownBy(() -> b.requestTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("requestTimeout must be in [PT0.001S, PT1M] but was PT0S");
    assertThatThrownBy(() -> b.maxLimit(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxLimit must be in [1, 4096] but was 0");
    assertThatThrownBy(() -> b.frontThreads(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("frontThreads must be in [1, 64] but was 0");
    assertThatThrownBy(() -> b.tenantQuota(0, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("tenantQuota perSecond must be in [1, 1000000] but was 0");
    assertThatThrownBy(() -> b.context("/query", (request, response, callback) -> true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path must be an absolute path other than /query, mounted once, but was /query");
    assertThatThrownBy(() -> b.context("metrics", (request, response, callback) -> true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("but was metrics");
    b.context("/metrics", (request, response, callback) -> true);
    assertThatThrownBy(() -> b.context("/metrics", (request, response, callback) -> true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mounted once");
    assertThatThrownBy(() -> ProtectedServer.newBuilder(null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("pool must not be null");
  }

  private static void assertEveryRequestGotAnHttpAnswer(List<Sample> samples) {
    Map<Kind, Long> kinds = samples.stream()
        .collect(Collectors.groupingBy(Sample::kind, Collectors.counting()));
    assertThat(kinds).as("no dropped connection, no timeout").containsOnlyKeys(Kind.RESPONSE);
    assertThat(samples).allSatisfy(s ->
        assertThat(s.status()).as("status").isIn(200, 503));
  }

  private static void assertIsAValid503(HttpResponse<String> r) {
    assertThat(r.statusCode()).isEqualTo(503);
    String retryAfter = r.headers().firstValue("Retry-After").orElse("");
    assertThat(retryAfter).as("Retry-After in delay-seconds, at least 1").matches("[1-9][0-9]*");
    assertThat(r.headers().firstValue("Content-Type")).hasValue(HttpRefusals.PROBLEM_JSON);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("RateLimit-Policy").orElse(""))
        .matches("\"concurrency\";q=[0-9]+;qu=\"concurrent-requests\"");
    assertThat(r.headers().firstValue("RateLimit"))
        .hasValue("\"concurrency\";r=0;t=" + retryAfter);
    Map<String, Object> problem = MiniJson.object(r.body());
    assertThat(problem).containsEntry("type", HttpRefusals.CAPACITY_TYPE)
        .containsEntry("status", 503.0)
        .containsEntry("retryAfterSeconds", Double.valueOf(retryAfter))
        .containsKeys("title", "detail");
    assertThat(problem.get("reason")).isIn(Arrays.stream(RejectReason.values())
        .map(RejectReason::name).toArray());
  }

  /**
   * After the load (every request answered), sequential requests must soon be served again: at
   * most 50 attempts, each sent as soon as the previous one is answered, until a 200; then 20 in
   * a row must all be 200.
   */
  private void assertServesNormallyAgain(URI uri) throws IOException, InterruptedException {
    int attempts = 0;
    while (attempts < 50 && send(uri).statusCode() != 200) {
      attempts++;
    }
    assertThat(attempts).as("refusals before the first 200 after the load").isLessThan(50);
    for (int i = 0; i < 20; i++) {
      assertThat(send(uri).statusCode()).as("request %d after recovery", i).isEqualTo(200);
    }
  }

  /** Sends a GET with the given header names and values, and waits for the answer. */
  private HttpResponse<String> send(URI uri, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), BodyHandlers.ofString());
  }

  private static int count(List<Sample> samples, int status) {
    return (int) samples.stream().filter(s -> s.answered(status)).count();
  }
}
