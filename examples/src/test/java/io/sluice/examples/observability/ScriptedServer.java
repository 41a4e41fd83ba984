package io.sluice.examples.observability;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.micrometer.SluiceMeterBinder;
import io.sluice.testing.ManualClock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * An executor (limit 2, one queue slot per priority) behind a JDK HttpServer on 127.0.0.1 with
 * /metrics and /health, driven by a manual clock. Each scripted interval of 10 s runs six rounds
 * of: two CRITICAL tasks admitted, a SHEDDABLE task queued for 5 ms, a SHEDDABLE task refused
 * with QUEUE_FULL; so 24 requests, 6 refused (25%).
 */
final class ScriptedServer implements AutoCloseable {
  static final int ROUNDS_PER_INTERVAL = 6;

  final ManualClock clock = new ManualClock();
  final ArrayDeque<Runnable> workers = new ArrayDeque<>();
  final AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers::add)
      .clock(clock)
      .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(2)).build())
      .queueCapacity(1)
      .build();
  final OverloadMonitor monitor = OverloadMonitor.newBuilder(executor).clock(clock).build();
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final HttpServer server;
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10)).build();

  ScriptedServer() throws IOException {
    SluiceMeterBinder.executor("demo", executor).overload(monitor).bindTo(registry);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    Observability.mount(server, registry, monitor);
    server.start();
  }

  /** Runs one scripted interval and moves the clock to its end. */
  void interval() {
    long start = clock.nanoTime();
    for (int round = 0; round < ROUNDS_PER_INTERVAL; round++) {
      executor.submit(() -> "c1", TaskOptions.of(Priority.CRITICAL));
      executor.submit(() -> "c2", TaskOptions.of(Priority.CRITICAL));
      executor.submit(() -> "s1", TaskOptions.of(Priority.SHEDDABLE));
      try {
        executor.submit(() -> "s2", TaskOptions.of(Priority.SHEDDABLE));
        throw new AssertionError("the SHEDDABLE queue should be full");
      } catch (AdmissionRejectedException expected) {
        // QUEUE_FULL
      }
      clock.advanceNanos(5_000_000L);
      for (Runnable task = workers.poll(); task != null; task = workers.poll()) {
        task.run();
      }
    }
    clock.setNanos(start + Duration.ofSeconds(10).toNanos());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
