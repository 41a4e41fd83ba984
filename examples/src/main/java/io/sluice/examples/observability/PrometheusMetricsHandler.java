package io.sluice.examples.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.Objects;

/**
 * Serves {@code GET /metrics}: the registry's meters in the Prometheus text exposition format
 * (version 0.0.4). Bind Sluice's meters to the registry with
 * {@link io.sluice.micrometer.SluiceMeterBinder}. Other methods get 405.
 *
 * <p>Thread-safe: the JDK's {@code HttpServer} may call it from several threads at once.
 */
public final class PrometheusMetricsHandler implements HttpHandler {
  /** The content type of the Prometheus text format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;

  /** Creates a handler that scrapes {@code registry}. */
  public PrometheusMetricsHandler(PrometheusMeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (Responses.getOnly(exchange)) {
        Responses.send(exchange, 200, CONTENT_TYPE, registry.scrape());
      }
    }
  }
}
