package io.sluice.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.metrics.LimiterSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Spring Boot example over loopback: pages admitted, an async page released when it ends, a
 * request over the limit refused with 503 and Retry-After before it reaches the application, a
 * tenant over its quota refused with 429, health answered under overload, every permit back.
 */
@Timeout(90)
class SpringExampleTest {
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  private HttpResponse<String> get(ConfigurableApplicationContext app, String path,
      String tenant) throws Exception {
    return client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + SpringExample.port(app) + path))
        .header("X-Tenant", tenant).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theStarterAdmitsRefusesWith503And429AndReleasesEveryPermit() throws Exception {
    try (ConfigurableApplicationContext app = SpringExample.start(
        "--server.port=0",
        "--logging.level.root=warn",
        "--sluice.limiter.algorithm=fixed",           // a limit of 1, so that the test fills it
        "--sluice.limiter.initial-limit=1",
        "--sluice.quota.requests=3",
        "--sluice.quota.period=1h")) {                // nothing comes back during the test
      Limiter limiter = app.getBean("sluiceLimiter", Limiter.class);
      Limiter reports = limiter(app, "/report");

      HttpResponse<String> hello = get(app, "/hello", "alice");
      assertThat(hello.statusCode()).isEqualTo(200);
      assertThat(hello.body()).isEqualTo("hello");
      assertThat(get(app, "/report", "alice").body()).isEqualTo("report");

      long held = limiter.tryAcquire();                 // another request in flight
      assertThat(Ticket.isPermit(held)).isTrue();
      HttpResponse<String> refused = get(app, "/hello", "bob");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
          seconds -> assertThat(Long.parseLong(seconds)).isPositive());
      assertThat(refused.headers().firstValue("Cache-Control")).hasValue("no-store");
      assertThat(refused.body()).contains("LIMIT_REACHED");
      HttpResponse<String> health = get(app, "/actuator/health", "bob");
      assertThat(health.statusCode()).as("bypassed while the limit is full").isEqualTo(200);
      assertThat(health.body()).contains("\"sluice\"");
      limiter.release(held, Outcome.IGNORED);

      assertThat(get(app, "/hello", "carol").statusCode()).isEqualTo(200);
      assertThat(get(app, "/hello", "carol").statusCode()).isEqualTo(200);
      assertThat(get(app, "/hello", "carol").statusCode()).isEqualTo(200);
      HttpResponse<String> overQuota = get(app, "/hello", "carol");
      assertThat(overQuota.statusCode()).isEqualTo(429);
      assertThat(overQuota.headers().firstValue("Retry-After")).isPresent();
      assertThat(overQuota.body()).contains("RATE_LIMITED");

      for (Limiter each : new Limiter[] {limiter, reports}) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && (each.inFlight() != 0
            || each.snapshot().admitted() != each.snapshot().completed())) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the server's release,
        }                                                           // after the client's bytes
        LimiterSnapshot snapshot = each.snapshot();
        assertThat(each.inFlight()).isZero();
        assertThat(snapshot.admitted()).isEqualTo(snapshot.completed());
        assertThat(snapshot.invalidReleases()).isZero();
      }
      assertThat(reports.snapshot().admitted()).as("/report: its own limiter").isEqualTo(1);
      assertThat(limiter.snapshot().admitted()).as("/hello 4 times, and the test's permit")
          .isEqualTo(5);
    }
  }

  @SuppressWarnings("unchecked")
  private static Limiter limiter(ConfigurableApplicationContext app, String path) {
    return ((io.sluice.http.RouteTable<Limiter>) app.getBean(io.sluice.http.RouteTable.class))
        .route(path).target();
  }
}
