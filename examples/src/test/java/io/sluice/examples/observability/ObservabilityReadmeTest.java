package io.sluice.examples.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.ExecutorSnapshot;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.OverloadState;
import io.sluice.micrometer.SluiceMeterBinder;
import io.sluice.testing.ManualClock;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * docs/08-observability.md: its Java snippets, verbatim, compile and run here; its sample scrape
 * is lines of a real scrape of {@link ScriptedServer}, and its /health body is the real one.
 */
class ObservabilityReadmeTest {
  private final ExecutorService workers = Executors.newFixedThreadPool(2);
  private final AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers)
      .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(4)).build()).build();

  @Test
  void snapshotsAndListeners() throws Exception {
    AtomicInteger limitNow = new AtomicInteger();
    LongAdder refusals = new LongAdder();
    // README: listeners
    Limiter limiter = Limiter.newBuilder()
        .listener((window, newLimit) -> limitNow.set(newLimit))              // every closed window
        .rejectionListener((reason, priority, retryAfterNanos) -> refusals.increment())
        .build();
    // README end

    // README: snapshots
    LimiterSnapshot before = limiter.snapshot();
    // ... traffic ...
    limiter.release(limiter.tryAcquire(), Outcome.SUCCESS);
    LimiterSnapshot now = limiter.snapshot();
    long refused = now.rejected() - before.rejected();
    long p99Nanos = now.rtt().minus(before.rtt()).valueAtQuantile(0.99); // RTT p99 of the interval

    executor.submit(() -> "done").get(1, TimeUnit.MINUTES);
    ExecutorSnapshot tasks = executor.snapshot();
    long timedOut = tasks.shed(RejectReason.QUEUE_TIMEOUT, Priority.SHEDDABLE);
    long queueWaitP99 = tasks.queueWait(Priority.CRITICAL).valueAtQuantile(0.99);
    // README end

    assertThat(refused).isZero();
    assertThat(refusals.sum()).isZero();
    assertThat(p99Nanos).as("no window closed yet").isZero();
    assertThat(now.completed()).isEqualTo(1);
    assertThat(timedOut).isZero();
    assertThat(queueWaitP99).isLessThan(1_000_000_000L);
    assertThat(tasks.admitted(Priority.CRITICAL)).isEqualTo(1);
    assertThat(limitNow.get()).isZero();
    shutdown();
  }

  /**
   * The shadow-mode snippet: a monitor-only limiter admits past its limit and counts what it would
   * have refused; switched to enforcing, it refuses until in-flight work falls below the limit.
   * Nothing is released before the checks, so no window closes and the limit stays where it was.
   */
  @Test
  void shadowMode() {
    // README: shadow mode
    Limiter limiter = Limiter.newBuilder()
        .monitorOnly(true)                        // compute, count and report; refuse nothing
        .build();
    // README end
    int limit = limiter.limit();
    List<Long> permits = new ArrayList<>();
    for (int i = 0; i < limit + 5; i++) {
      permits.add(limiter.tryAcquire(1, i < limit ? Priority.CRITICAL : Priority.SHEDDABLE));
    }
    assertThat(permits).allMatch(Ticket::isPermit);
    // README: shadow mode
    // ... serve traffic through it as usual, then read what it would have done:
    LimiterSnapshot counts = limiter.snapshot();
    long wouldHaveRefused = counts.monitoredRejections();
    long sheddableShed = counts.rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE);
    limiter.monitorOnly(false);                   // enforce from now on
    // README end
    assertThat(wouldHaveRefused).isEqualTo(5);
    assertThat(limiter.snapshot().rejected()).isEqualTo(5);
    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.SHEDDABLE))
        .isEqualTo(5);
    assertThat(sheddableShed).as("beyond the limit itself: LIMIT_REACHED").isZero();
    assertThat(limiter.snapshot().admitted()).isEqualTo(limit + 5);
    assertThat(limiter.inFlight()).isEqualTo(limit + 5);

    long refused = limiter.tryAcquire();
    assertThat(Ticket.isRejection(refused)).isTrue();
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(limiter.snapshot().monitoredRejections()).as("enforced now").isEqualTo(5);
    assertThat(limiter.snapshot().rejected()).isEqualTo(6);
    for (long permit : permits) {
      assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    }
    assertThat(limiter.inFlight()).isZero();
  }

  /** In shadow mode a priority shed is counted by reason and level, and admitted. */
  @Test
  void shadowModeCountsPrioritySheds() {
    ManualClock clock = new ManualClock();   // never moves: no window closes, the limit stays 10
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(10))
        .monitorOnly(true).build();
    List<Long> permits = new ArrayList<>();
    for (int i = 0; i < 11; i++) {           // the 11th CRITICAL presses the levels below it
      permits.add(limiter.tryAcquire(1, Priority.CRITICAL));
    }
    for (int i = 0; i < 5; i++) {
      assertThat(limiter.release(permits.remove(0), Outcome.SUCCESS)).isTrue();
    }
    permits.add(limiter.tryAcquire(1, Priority.SHEDDABLE));   // 7 in flight: within 0.7 of 10
    permits.add(limiter.tryAcquire(1, Priority.SHEDDABLE));   // 8: beyond its share

    assertThat(permits).hasSize(8).allMatch(Ticket::isPermit);
    assertThat(limiter.inFlight()).isEqualTo(8);
    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL))
        .isEqualTo(1);
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(1);
    assertThat(limiter.snapshot().monitoredRejections())
        .isEqualTo(2).isEqualTo(limiter.snapshot().rejected());
    for (long permit : permits) {
      assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    }
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void monitorBinderAndHttp() throws Exception {
    // README: monitor
    OverloadMonitor monitor = OverloadMonitor.newBuilder(executor)
        .rejectionRatio(0.05, Duration.ofMinutes(5))    // the defaults, spelled out
        .limitAtMinimum(Duration.ofMinutes(1))
        .build();
    OverloadState state = monitor.evaluate().state();   // OK, DEGRADED or OVERLOADED
    // README end
    assertThat(state).isEqualTo(OverloadState.OK);

    // README: http
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    SluiceMeterBinder.executor("api", executor).overload(monitor).bindTo(registry);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Observability.mount(server, registry, monitor);   // GET /metrics, GET /health
    server.start();
    // README end
    try {
      executor.submit(() -> "counted").get(1, TimeUnit.MINUTES);
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics");
      HttpResponse<String> scrape = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(scrape.body().lines())
          .contains("sluice_executor_admitted_total{name=\"api\",priority=\"critical\"} 1.0");
    } finally {
      server.stop(0);
      shutdown();
    }
  }

  @Test
  void theDocsShowTheSnippetsThisTestRunsAndARealScrape() throws Exception {
    String page = DocSnippets.page("docs/08-observability.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(6);
    List<String> missing = DocSnippets.linesMissingFrom(page, Path.of("src", "test", "java", "io",
        "sluice", "examples", "observability", "ObservabilityReadmeTest.java"));
    assertThat(missing).as("documented lines not run by this test").isEmpty();

    try (ScriptedServer s = new ScriptedServer()) {
      HttpResponse<String> health = null;
      for (int i = 0; i < 30; i++) {
        s.interval();
        health = s.get("/health"); // as a probe would, every interval
      }
      List<String> scrape = s.get("/metrics").body().lines().toList();
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(DocSnippets.blocks(page, "json")).containsExactly(health.body() + "\n");
      List<String> sample = DocSnippets.blocks(page, "text").get(0).lines().toList();
      assertThat(sample).hasSizeGreaterThan(10);
      assertThat(scrape).containsAll(sample);
    }
  }

  private void shutdown() throws InterruptedException {
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    workers.shutdown();
  }
}
