package io.sluice.spring.boot3;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.servlet.SluiceFilter;
import io.sluice.spring.SluiceAutoConfiguration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The starter, built against Spring Boot 4.0, in a Spring Boot 3.5 application (Spring MVC on
 * embedded Tomcat 10.1, the actuator) on a loopback port: the filter from {@code sluice.*}
 * properties admits, refuses with 503 and Retry-After and, per tenant, with 429; meters are bound.
 * The health indicator is Boot 4's API only, so it steps aside.
 */
@Timeout(90)
class Boot35Test {
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
        "--sluice.limiter.algorithm=fixed",
        "--sluice.limiter.initial-limit=1",
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

  private static HttpResponse<String> get(String path, String tenant) throws Exception {
    return client.send(HttpRequest.newBuilder(base.resolve(path)).header("X-Tenant", tenant)
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theStarterAdmitsAndRefusesInABoot35Application() throws Exception {
    assertThat(SpringBootVersion.getVersion()).startsWith("3.5.");
    assertThat(app.getBeansOfType(SluiceFilter.class)).hasSize(1);
    Limiter limiter = app.getBean(SluiceAutoConfiguration.LIMITER, Limiter.class);

    assertThat(get("/work", "alice").statusCode()).isEqualTo(200);
    long held = limiter.tryAcquire();                   // another request in flight
    assertThat(Ticket.isPermit(held)).isTrue();
    HttpResponse<String> refused = get("/work", "bob");
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
        seconds -> assertThat(Long.parseLong(seconds)).isPositive());
    assertThat(refused.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(get("/actuator/health", "bob").statusCode()).as("bypassed").isEqualTo(200);
    limiter.release(held, Outcome.IGNORED);

    assertThat(get("/work", "alice").statusCode()).isEqualTo(200);
    HttpResponse<String> overQuota = get("/work", "alice");
    assertThat(overQuota.statusCode()).isEqualTo(429);
    assertThat(overQuota.headers().firstValue("RateLimit-Policy"))
        .hasValue("\"tenant\";q=2;w=3600");
    assertThat(app.getBean(Work.class).calls.get()).as("refusals never reach it").isEqualTo(2);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && (limiter.inFlight() != 0
        || limiter.snapshot().admitted() != limiter.snapshot().completed())) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the server's release, after
    }                                                           // the client has its bytes
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
    MeterRegistry registry = app.getBean(MeterRegistry.class);
    assertThat(registry.get("sluice.limiter.limit").tag("name", "default").gauge().value())
        .isEqualTo(1.0);
    assertThat(app.containsBean("sluiceHealthIndicator")).as("Boot 4's health API only")
        .isFalse();
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
