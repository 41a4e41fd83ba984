package io.sluice.examples.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The servlet example over loopback: pages, an async stream, health, and a refusal. */
@Timeout(60)
class ServletExampleTest {
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();

  private HttpResponse<String> get(ServletExample example, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + example.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theFilterAdmitsPagesAndStreamsAndReleasesThem() throws Exception {
    try (ServletExample example = ServletExample.start(0, Limiter.newBuilder().build())) {
      assertThat(get(example, "/hello").body()).isEqualTo("hello\n");
      assertThat(get(example, "/stream").body()).isEqualTo("line 1\nline 2\nline 3\n");
      assertThat(get(example, "/health").statusCode()).isEqualTo(200);
      assertThat(get(example, "/nothing").statusCode()).isEqualTo(404);

      Limiter limiter = example.limiter();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (limiter.inFlight() > 0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the stream completes
      }
      LimiterSnapshot snapshot = limiter.snapshot();
      assertThat(limiter.inFlight()).isZero();
      assertThat(snapshot.admitted()).as("all but /health").isEqualTo(3);
      assertThat(snapshot.completed()).isEqualTo(3);
    }
  }

  @Test
  void aRequestBeyondTheLimitIsRefusedAndHealthStillAnswers() throws Exception {
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
    try (ServletExample example = ServletExample.start(0, limiter)) {
      long held = limiter.tryAcquire(); // another request in flight
      HttpResponse<String> refused = get(example, "/hello");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      assertThat(refused.body()).contains("LIMIT_REACHED");
      assertThat(get(example, "/health").statusCode()).isEqualTo(200);
      limiter.release(held, io.sluice.Outcome.SUCCESS);
      assertThat(get(example, "/hello").statusCode()).isEqualTo(200);
    }
  }
}
