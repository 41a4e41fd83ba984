package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Per-tenant quotas in a real Spring Boot application on a loopback port, configured by
 * properties alone: a tenant over its quota gets 429 with Retry-After and the RateLimit fields,
 * before the controller and without a permit; other tenants, and requests without the field (the
 * anonymous tenant), keep their own quotas. The quota's period is an hour, so no request comes
 * back during the test, however slow the machine.
 */
@Timeout(60)
class QuotaRealPortTest {
  private static ConfigurableApplicationContext app;
  private static HttpClient client;
  private static URI base;

  @BeforeAll
  static void start() {
    app = new SpringApplication(App.class).run(
        "--server.port=0",
        "--server.address=127.0.0.1",
        "--spring.main.banner-mode=off",
        "--logging.level.root=warn",
        "--sluice.quota.requests=2",
        "--sluice.quota.period=1h");
    int port = ((WebServerApplicationContext) app).getWebServer().getPort();
    base = URI.create("http://127.0.0.1:" + port);
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  private static HttpResponse<String> get(String tenant) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/work"))
        .timeout(Duration.ofSeconds(30));
    if (tenant != null) {
      request.header("X-Tenant", tenant);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aTenantOverItsQuotaGets429WithRetryAfterAndTheOthersKeepTheirs() throws Exception {
    List<Integer> alice = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      alice.add(get("alice").statusCode());
    }
    HttpResponse<String> refused = get("alice");
    List<Integer> bob = List.of(get("bob").statusCode(), get("bob").statusCode());
    List<Integer> anonymous = List.of(get(null).statusCode(), get(null).statusCode(),
        get(null).statusCode());

    assertThat(alice).containsExactly(200, 200, 429);
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(seconds ->
        assertThat(Long.parseLong(seconds)).as("an hour's refill, rounded up")
            .isBetween(1L, 3600L));
    assertThat(refused.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(refused.headers().firstValue("RateLimit-Policy"))
        .hasValue("\"tenant\";q=2;w=3600");
    assertThat(refused.headers().firstValue("RateLimit")).hasValueSatisfying(field ->
        assertThat(field).startsWith("\"tenant\";r=0;t=").endsWith(";pk=:YWxpY2U=:"));
    assertThat(refused.body()).contains("RATE_LIMITED");
    assertThat(bob).containsExactly(200, 200);
    assertThat(anonymous).containsExactly(200, 200, 429);
    assertThat(app.getBean(Work.class).calls.get()).as("refusals never reach it").isEqualTo(6);

    Limiter limiter = app.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && (limiter.inFlight() != 0
        || limiter.snapshot().admitted() != limiter.snapshot().completed())) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the server's release, after
    }                                                           // the client has its bytes
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().admitted()).as("a quota refusal takes no permit")
        .isEqualTo(6);
    assertThat(limiter.snapshot().rejected()).isZero();
  }

  /** The application: Spring Boot's auto-configuration, the starter's included, and one page. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    Work work() {
      return new Work();
    }
  }

  /** Answers at once, counting its calls. */
  @RestController
  static class Work {
    final AtomicInteger calls = new AtomicInteger();

    @GetMapping("/work")
    String work() {
      calls.incrementAndGet();
      return "done";
    }
  }
}
