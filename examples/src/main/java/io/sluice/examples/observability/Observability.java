package io.sluice.examples.observability;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.metrics.OverloadMonitor;

/**
 * Mounts {@code /metrics} ({@link PrometheusMetricsHandler}) and {@code /health}
 * ({@link HealthHandler}) on a JDK {@link HttpServer}:
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * OverloadMonitor monitor = OverloadMonitor.newBuilder(executor).build();
 * SluiceMeterBinder.executor("api", executor).overload(monitor).bindTo(registry);
 * Observability.mount(server, registry, monitor);
 * }</pre>
 */
public final class Observability {
  /** The path of the Prometheus scrape. */
  public static final String METRICS_PATH = "/metrics";
  /** The path of the overload signal. */
  public static final String HEALTH_PATH = "/health";

  private Observability() {}

  /** Adds the {@code /metrics} and {@code /health} contexts to {@code server}. */
  public static void mount(HttpServer server, PrometheusMeterRegistry registry,
      OverloadMonitor monitor) {
    server.createContext(METRICS_PATH, new PrometheusMetricsHandler(registry));
    server.createContext(HEALTH_PATH, new HealthHandler(monitor));
  }
}
