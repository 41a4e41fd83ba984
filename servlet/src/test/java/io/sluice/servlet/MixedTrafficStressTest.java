package io.sluice.servlet;

import static io.sluice.servlet.Loopback.assertNoPermitLeaked;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mixed requests over loopback against each real server (20,000 per server by default, see
 * {@link #REQUESTS}; 10^5 with {@code -Dsluice.servlet.mixedRequests=100000}): fast, slow, async,
 * async past its timeout, exceptions (one a capacity signal), clients that hang up mid-stream;
 * any priority; a quarter on a route whose small limit refuses many. At the end nothing is in
 * flight, every permit issued was released exactly once, every admitted request reached the
 * application and every refusal reached its client.
 */
@Tag("stress")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MixedTrafficStressTest {
  /**
   * Requests per server. The module's pom sets 20,000, which keeps its tests within about a minute
   * on a loaded 2-core machine (1,000 to 2,000 requests a second there); the full 10^5 is a
   * property away (50 to 75 s on Tomcat, 70 to 105 s on Jetty there).
   */
  private static final int REQUESTS =
      Integer.getInteger("sluice.servlet.mixedRequests", 20_000);
  /** Requests the client keeps in flight at once. */
  private static final int WINDOW = 128;
  /** Kinds and their weights: what the test app does with the request. */
  private static final String[] KINDS = {
      "fast", "slow", "async", "async-timeout", "throw", "throw-timeout", "abort"};
  private static final int[] WEIGHTS = {50, 12, 22, 2, 6, 3, 5};
  private static final String[] PRIORITIES = {null, "critical", "sheddable", "critical-plus"};
  /** The statuses each kind may get: its own, or the filter's 503. */
  private static final Map<String, Set<Integer>> EXPECTED = Map.of(
      "fast", Set.of(200, 503), "slow", Set.of(200, 503), "async", Set.of(200, 503),
      "async-timeout", Set.of(500, 503), "throw", Set.of(500, 503),
      "throw-timeout", Set.of(500, 503), "abort", Set.of(200, 503));

  @ParameterizedTest
  @EnumSource(Server.class)
  void mixedTrafficLeavesNothingInFlightAndNoPermitLeaked(Server kind) throws Exception {
    // Each permit remembers its request: one left in flight is named in the failure.
    TrackingLimiter api = new TrackingLimiter(
        Limiter.newBuilder().algorithm(FixedLimit.of(256)).build());
    TrackingLimiter tight = new TrackingLimiter(
        Limiter.newBuilder().algorithm(FixedLimit.of(4)).build());
    SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.<Limiter>newBuilder(api)
            .prefix("/tight", tight).build())
        .priorities(PriorityHeader.newBuilder().trustedSources(TrustedSources.loopback()).build())
        .cost(request -> { // runs on the thread that acquires: it labels the permit
          TrackingLimiter.LABEL.set(request.getRequestURI() + " " + System.nanoTime() / 1_000_000);
          return 1;
        })
        .build();
    TestApp app = new TestApp();
    Server.Running server = kind.start(filter, app);
    Map<String, LongAdder> seen = new ConcurrentHashMap<>();
    LongAdder refusedSeen = new LongAdder();
    try {
      Semaphore window = new Semaphore(WINDOW);
      SplittableRandom random = new SplittableRandom(42);
      for (int i = 0; i < REQUESTS; i++) {
        String what = pick(random);
        String path = (random.nextInt(4) == 0 ? "/tight/" : "/api/") + what;
        String priority = PRIORITIES[random.nextInt(PRIORITIES.length)];
        HttpRequest request = priority == null ? Loopback.get(server.uri(path))
            : Loopback.get(server.uri(path), "X-Priority", priority);
        window.acquire();
        send(request, what).whenComplete((status, failure) -> {
          String key = what + " " + (failure == null ? status : failure.toString());
          seen.computeIfAbsent(key, k -> new LongAdder()).increment();
          if (failure == null && status == 503) {
            refusedSeen.increment();
          }
          window.release();
        });
      }
      assertThat(window.tryAcquire(WINDOW, 60, TimeUnit.SECONDS)).as("every response").isTrue();

      TreeMap<String, Long> outcomes = new TreeMap<>();
      seen.forEach((key, count) -> outcomes.put(key, count.sum()));
      try {
        // A client that stops reading holds a blocked write until the server's idle timeout.
        assertNoPermitLeaked(TimeUnit.MILLISECONDS.toSeconds(Server.IDLE_TIMEOUT_MILLIS) + 20,
            api, tight);
      } catch (AssertionError leaked) {
        // Tells a permit the filter lost from one held by a request the server never ended.
        throw new AssertionError(leaked.getMessage() + "\nasync cycles the server never ended: "
            + app.unended.values() + "\nresponses: " + outcomes, leaked);
      }
      for (Map.Entry<String, Long> e : outcomes.entrySet()) {
        String[] parts = e.getKey().split(" ", 2);
        assertThat(EXPECTED.get(parts[0])).as("%s in %s", e.getKey(), outcomes)
            .contains(parseStatus(parts[1]));
      }
      assertThat(outcomes.values().stream().mapToLong(Long::longValue).sum())
          .isEqualTo(REQUESTS);

      LimiterSnapshot a = api.delegate().snapshot();
      LimiterSnapshot t = tight.delegate().snapshot();
      assertThat(a.admitted() + t.admitted()).as("admitted requests reached the application")
          .isEqualTo(app.calls.get());
      assertThat(a.rejected() + t.rejected()).as("each refusal reached its client")
          .isEqualTo(refusedSeen.sum()).isPositive();
      assertThat(a.admitted() + t.admitted() + a.rejected() + t.rejected())
          .isEqualTo(REQUESTS);
      assertThat(a.succeeded()).isPositive();
      assertThat(a.dropped()).as("timeouts").isPositive();
      assertThat(a.ignored()).as("failures and aborts").isPositive();
    } finally {
      app.close();
      server.stop();
    }
  }

  private static final ExecutorService READERS = Executors.newFixedThreadPool(8, r -> {
    Thread t = new Thread(r, "abort-reader");
    t.setDaemon(true);
    return t;
  });

  /** Sends a request; an {@code abort} reads the first byte of the stream and hangs up. */
  private static CompletableFuture<Integer> send(HttpRequest request, String what) {
    if (!what.equals("abort")) {
      return Loopback.CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .thenApply(HttpResponse::statusCode);
    }
    return Loopback.CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
        .thenApplyAsync(response -> {
          try (InputStream body = response.body()) {
            body.read();
            return response.statusCode();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }, READERS);
  }

  private static String pick(SplittableRandom random) {
    int total = 0;
    for (int w : WEIGHTS) {
      total += w;
    }
    int r = random.nextInt(total);
    for (int i = 0; i < WEIGHTS.length; i++) {
      r -= WEIGHTS[i];
      if (r < 0) {
        return KINDS[i];
      }
    }
    throw new AssertionError();
  }

  private static int parseStatus(String text) {
    return text.matches("[0-9]{3}") ? Integer.parseInt(text) : -1;
  }
}
