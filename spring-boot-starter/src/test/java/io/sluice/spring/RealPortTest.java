package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.Limiter;
import io.sluice.metrics.LimiterSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
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
 * A real Spring Boot application (Spring MVC on embedded Tomcat, the actuator, the starter found
 * through its AutoConfiguration.imports) on a loopback port: a request over the limit is refused
 * with 503, Retry-After and no-store before it reaches the controller, the actuator is bypassed,
 * and every permit comes back.
 */
@Timeout(60)
class RealPortTest {
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
        "--management.endpoint.health.show-details=always",
        "--sluice.limiter.algorithm=fixed",
        "--sluice.limiter.initial-limit=1");
    int port = ((WebServerApplicationContext) app).getWebServer().getPort();
    base = URI.create("http://127.0.0.1:" + port);
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.getBean(Slow.class).release.countDown(); // a failed test must not hold Tomcat 30 s
      app.close();
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRequestOverTheLimitIs503WithRetryAfterAndEveryPermitComesBack() throws Exception {
    Limiter limiter = app.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);
    Slow slow = app.getBean(Slow.class);
    CompletableFuture<HttpResponse<String>> held = client.sendAsync(
        HttpRequest.newBuilder(base.resolve("/slow")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(slow.entered.await(30, TimeUnit.SECONDS)).as("/slow reached").isTrue();
    assertThat(limiter.inFlight()).isEqualTo(1);

    HttpResponse<String> refused = get("/fast");
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
        seconds -> assertThat(Long.parseLong(seconds)).isPositive());
    assertThat(refused.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(refused.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(app.getBean(Fast.class).calls.get()).as("the refusal never reached it").isZero();

    HttpResponse<String> health = get("/actuator/health");
    assertThat(health.statusCode()).as("bypassed while the limit is full").isEqualTo(200);
    assertThat(health.body()).contains("\"sluice\"");

    slow.release.countDown();
    assertThat(held.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    awaitQuiet(limiter);
    assertThat(limiter.inFlight()).isZero();
    LimiterSnapshot snapshot = limiter.snapshot();
    assertThat(snapshot.admitted()).isEqualTo(snapshot.completed());
    assertThat(limiter.snapshot().invalidReleases()).isZero();

    assertThat(get("/fast").statusCode()).as("admitted again").isEqualTo(200);
    awaitQuiet(limiter);
    assertThat(limiter.inFlight()).isZero();
    MeterRegistry registry = app.getBean(MeterRegistry.class);
    assertThat(registry.get("sluice.limiter.limit").tag("name", "default").gauge().value())
        .isEqualTo(1.0);
    assertThat(registry.get("sluice.limiter.inflight").tag("name", "default").gauge().value())
        .isZero();
  }

  /** The server finishes the request after the client has its bytes: wait for the release. */
  private static void awaitQuiet(Limiter limiter) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && (limiter.inFlight() != 0
        || limiter.snapshot().admitted() != limiter.snapshot().completed())) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // waiting for the server
    }
  }

  /** The application: Spring Boot's auto-configuration, the starter's included, and two pages. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    Slow slow() {
      return new Slow();
    }

    @Bean
    Fast fast() {
      return new Fast();
    }
  }

  /** Holds its request until the test lets it go. */
  @RestController
  static class Slow {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @GetMapping("/slow")
    String slow() throws InterruptedException {
      entered.countDown();
      release.await(30, TimeUnit.SECONDS);
      return "slow";
    }
  }

  /** Answers at once, counting its calls. */
  @RestController
  static class Fast {
    final AtomicInteger calls = new AtomicInteger();

    @GetMapping("/fast")
    String fast() {
      calls.incrementAndGet();
      return "fast";
    }
  }
}
