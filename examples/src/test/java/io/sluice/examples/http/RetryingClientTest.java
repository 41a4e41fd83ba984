package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sluice.client.AdaptiveThrottle;
import io.sluice.client.Backoff;
import io.sluice.client.RetryPolicy;
import io.sluice.testing.ManualClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The retrying client against a stub server that refuses with a Retry-After. Retries are not
 * waited for: the test's delayer records each requested delay and runs the retry at once, so the
 * test checks the delay the client asked for instead of sleeping through it.
 */
class RetryingClientTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<Long> delays = new CopyOnWriteArrayList<>();
  private final RetryingClient.Delayer recordAndRunNow = (nanos, task) -> {
    delays.add(nanos);
    task.run();
  };
  private HttpServer server;

  /** Starts a server that refuses the first {@code refusals} requests with 503 and Retry-After. */
  private URI stub(int refusals, String retryAfter) throws Exception {
    AtomicInteger seen = new AtomicInteger();
    server = JdkStub.bind(0, 16);
    server.createContext("/", exchange -> {
      if (seen.incrementAndGet() <= refusals) {
        exchange.getResponseHeaders().set("Retry-After", retryAfter);
        exchange.sendResponseHeaders(503, -1);
        exchange.close();
      } else {
        JdkStub.answerOk(exchange);
      }
    });
    server.start();
    return JdkStub.uri(server, "/");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void aRefusedCallIsRetriedNoSoonerThanItsRetryAfterAndSucceeds() throws Exception {
    URI uri = stub(1, "2");
    RetryingClient client = new RetryingClient(http, uri,
        RetryPolicy.newBuilder().backoff(Backoff.exponential(Duration.ofMillis(1),
            Duration.ofMillis(10))).build(), recordAndRunNow);

    RetryingClient.Result result = client.call().get(10, TimeUnit.SECONDS);

    assertThat(result.succeeded()).isTrue();
    assertThat(result.succeededAfterRetryAfter()).isTrue();
    assertThat(result.sent()).isEqualTo(2);
    assertThat(result.retriesSent()).isEqualTo(1);
    assertThat(result.refusals()).isEqualTo(1);
    assertThat(result.lastRetryAfterNanos()).isEqualTo(2_000_000_000L);
    assertThat(delays).singleElement().isEqualTo(2_000_000_000L);
    assertThat(result.minSlackNanos()).isZero();
  }

  @Test
  void aCallRefusedEveryTimeGivesUpAfterItsAttempts() throws Exception {
    URI uri = stub(Integer.MAX_VALUE, "1");
    RetryingClient client = new RetryingClient(http, uri,
        RetryPolicy.newBuilder().maxAttempts(3).build(), recordAndRunNow);

    RetryingClient.Result result = client.call().get(10, TimeUnit.SECONDS);

    assertThat(result.succeeded()).isFalse();
    assertThat(result.attempts()).isEqualTo(3);
    assertThat(result.sent()).isEqualTo(3);
    assertThat(result.refusals()).isEqualTo(3);
    assertThat(delays).hasSize(2).allSatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(1_000_000_000L));
  }

  @Test
  void aCallTheThrottleRefusesFailsAtOnceWithoutTouchingTheServer() throws Exception {
    URI uri = stub(0, "1");
    ManualClock clock = new ManualClock();
    AdaptiveThrottle throttle =
        AdaptiveThrottle.newBuilder().window(Duration.ofSeconds(60)).clock(clock).build();
    for (int i = 0; i < 10_000; i++) {
      throttle.tryRequest(new SplittableRandom(i)); // requests that the server never accepted
    }
    RetryingClient client = new RetryingClient(http, uri, RetryPolicy.newBuilder()
        .throttle(throttle).random(new SplittableRandom(1)).build(), recordAndRunNow);

    RetryingClient.Result result = client.call().get(10, TimeUnit.SECONDS);

    assertThat(throttle.rejectionProbability()).isGreaterThan(0.99);
    assertThat(result.succeeded()).isFalse();
    assertThat(result.locallyRefused()).isEqualTo(1);
    assertThat(result.sent()).isZero();
    assertThat(delays).isEmpty();
  }
}
