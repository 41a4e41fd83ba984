package io.sluice.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.metrics.LimiterSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The JDK HttpClient over loopback, and the checks every real-server test ends with. */
final class Loopback {
  private static final ExecutorService CLIENT_THREADS = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "loopback-client");
    t.setDaemon(true);
    return t;
  });
  static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .executor(CLIENT_THREADS)
      .build();

  private Loopback() {}

  /** Returns a GET of {@code uri} with header lines given as name, value, name, value... */
  static HttpRequest get(URI uri, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return request.build();
  }

  static HttpResponse<String> send(URI uri, String... headers)
      throws IOException, InterruptedException {
    return CLIENT.send(get(uri, headers), HttpResponse.BodyHandlers.ofString());
  }

  static CompletableFuture<HttpResponse<String>> sendAsync(URI uri, String... headers) {
    return CLIENT.sendAsync(get(uri, headers), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Waits, at most {@code seconds}, for the limiters to hold nothing (the server finishes async
   * timeouts and aborted streams on its own time), then checks that every permit issued was
   * released exactly once.
   */
  static void assertNoPermitLeaked(long seconds, Limiter... limiters) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (Limiter limiter : limiters) {
      while (!quiet(limiter) && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // waiting for the server
      }
      LimiterSnapshot snapshot = unwrap(limiter).snapshot();
      assertThat(limiter.inFlight()).as("in flight: %s", limiter instanceof TrackingLimiter
          ? ((TrackingLimiter) limiter).held() : "").isZero();
      assertThat(snapshot.admitted()).as("admitted == released").isEqualTo(snapshot.completed());
      assertThat(limiter.snapshot().invalidReleases()).as("second releases").isZero();
    }
  }

  private static boolean quiet(Limiter limiter) {
    LimiterSnapshot snapshot = unwrap(limiter).snapshot();
    return limiter.inFlight() == 0 && snapshot.admitted() == snapshot.completed();
  }

  static Limiter unwrap(Limiter limiter) {
    if (limiter instanceof TrackingLimiter) {
      return ((TrackingLimiter) limiter).delegate();
    }
    return limiter instanceof SpyLimiter ? ((SpyLimiter) limiter).delegate : limiter;
  }
}
