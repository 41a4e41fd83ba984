package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import io.sluice.client.RetryPolicy;
import io.sluice.docs.DocSnippets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The snippets of docs/07-http-server.md, line for line (the docs check below), compiled and run:
 * the server starts, answers its mounted handler, and the retrying client gets a 200 from it.
 */
class HttpServerReadmeTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void theReadmeSnippetsRun() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ConnectionPool pool = ConnectionPool.create(8, Duration.ofMillis(100)); // 80 queries/s at most
    try (ProtectedServer server = ProtectedServer.newBuilder(pool)
        .requestTimeout(Duration.ofMillis(250))   // an answer later than this is worth nothing
        .tenantQuota(100, 20)                     // optional: 429 beyond 100/s per X-Tenant
        .observability(registry)                  // GET /metrics and /health, outside admission
        .requestHeadTimeout(Duration.ofSeconds(10)) // 408 after this, from a head's first byte
        .maxHeaderBytes(8 * 1024)                 // 414 / 431 beyond it
        .maxHeaderFields(100)                     // 431 beyond it
        .maxBodyBytes(1024 * 1024)                // 413 for a longer declared body
        .idleTimeout(Duration.ofSeconds(30))      // idle keep-alive connections closed after it
        .start()) {
      URI query = server.queryUri();              // http://127.0.0.1:<port>/query
      URI metrics = server.uri("/metrics");       // Prometheus text: the limit, refusals by reason
      HttpResponse<String> scrape =
          http.send(HttpRequest.newBuilder(metrics).build(), BodyHandlers.ofString());
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body()).contains("sluice_limiter_limit{name=\"api\"} 8.0");
      assertThat(http.send(HttpRequest.newBuilder(query.resolve("/health")).build(),
          BodyHandlers.discarding()).statusCode()).isEqualTo(200);
      assertThat(callThroughTheRetryingClient(query).succeeded()).isTrue();
    }
  }

  private RetryingClient.Result callThroughTheRetryingClient(URI query) throws Exception {
    RetryPolicy policy = RetryPolicy.newBuilder().build();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      RetryingClient client = new RetryingClient(http, query, policy,
          (nanos, retry) -> scheduler.schedule(retry, nanos, TimeUnit.NANOSECONDS));
      RetryingClient.Result result = client.call().get(); // succeeded(), retriesSent(), ...
      return result;
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void theReadmeShowsTheseLines() throws Exception {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/07-http-server.md"), Path.of("src",
        "test", "java", "io", "sluice", "examples", "http", "HttpServerReadmeTest.java"));
  }
}
