package io.sluice.examples.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.ExecutorSnapshot;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.OverloadState;
import io.sluice.micrometer.SluiceMeterBinder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README's "Observability" section: its Java snippets, verbatim, compile and run here; its
 * sample scrape is lines of a real scrape of {@link ScriptedServer}, and its /health body is the
 * real one.
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
    LimiterSnapshot before = LimiterSnapshot.of(limiter);
    // ... traffic ...
    limiter.release(limiter.tryAcquire(), Outcome.SUCCESS);
    LimiterSnapshot now = LimiterSnapshot.of(limiter);
    long refused = now.rejected() - before.rejected();
    long p99Nanos = now.rtt().minus(before.rtt()).valueAtQuantile(0.99); // RTT p99 of the interval

    executor.submit(() -> "done").get(1, TimeUnit.MINUTES);
    ExecutorSnapshot tasks = ExecutorSnapshot.of(executor);
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
  void theReadmeShowsTheSnippetsThisTestRunsAndARealScrape() throws Exception {
    String section = section();
    Set<String> testLines = Files.readAllLines(Path.of("src", "test", "java", "io", "sluice",
            "examples", "observability", "ObservabilityReadmeTest.java")).stream()
        .map(String::strip).collect(Collectors.toSet());
    List<String> javaBlocks = blocks(section, "java");
    assertThat(javaBlocks).hasSize(5);
    for (String block : javaBlocks) {
      List<String> missing = block.lines().map(String::strip)
          .filter(l -> !l.isEmpty() && !testLines.contains(l))
          .toList();
      assertThat(missing).as("README lines not run by this test").isEmpty();
    }

    try (ScriptedServer s = new ScriptedServer()) {
      HttpResponse<String> health = null;
      for (int i = 0; i < 30; i++) {
        s.interval();
        health = s.get("/health"); // as a probe would, every interval
      }
      List<String> scrape = s.get("/metrics").body().lines().toList();
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(blocks(section, "json")).containsExactly(health.body() + "\n");
      List<String> sample = blocks(section, "text").get(0).lines().toList();
      assertThat(sample).hasSizeGreaterThan(10);
      assertThat(scrape).containsAll(sample);
    }
  }

  private static String section() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    int start = readme.indexOf("## Observability");
    assertThat(start).as("README section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  private static List<String> blocks(String section, String language) {
    Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(section);
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  private void shutdown() throws InterruptedException {
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    workers.shutdown();
  }
}
