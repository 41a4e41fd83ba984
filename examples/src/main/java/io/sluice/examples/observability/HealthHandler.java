package io.sluice.examples.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.sluice.metrics.DetectorState;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.OverloadState;
import io.sluice.metrics.OverloadStatus;
import java.io.IOException;
import java.util.Locale;
import java.util.Objects;

/**
 * Serves {@code GET /health}: evaluates an {@link OverloadMonitor} and answers its status as JSON,
 * with {@code 200} for {@code OK} and {@code DEGRADED} and {@code 503} for {@code OVERLOADED}:
 *
 * <pre>{@code
 * {"status":"DEGRADED","rejectionRatio":0.0833,"requests":120,"rejected":10,
 *  "rejectingForSeconds":30.0,"limit":10,"minLimit":2,"limitAtMinimumForSeconds":0.0}
 * }</pre>
 *
 * <p>Use it for alerts and as a readiness signal with care: a 503 takes the instance out of a
 * load balancer, which moves its traffic to the others; if every instance is overloaded, all of
 * them go. Never use it as a liveness probe: an overloaded server is alive, and a restart only
 * loses capacity. Other methods get 405.
 *
 * <p>Thread-safe: the monitor evaluates one caller at a time and lets concurrent callers read the
 * last status without waiting.
 */
public final class HealthHandler implements HttpHandler {
  private final OverloadMonitor monitor;

  /** Creates a handler that evaluates {@code monitor} on every request. */
  public HealthHandler(OverloadMonitor monitor) {
    this.monitor = Objects.requireNonNull(monitor, "monitor");
  }

  /** Returns the HTTP status for a state: 503 for OVERLOADED, 200 otherwise. */
  public static int httpStatus(OverloadState state) {
    return state == OverloadState.OVERLOADED ? 503 : 200;
  }

  /**
   * Returns the JSON body for a status; with overload detectors, a {@code detectors} array of each
   * one's name, level and pressure follows.
   */
  public static String json(OverloadStatus s) {
    String figures = String.format(Locale.ROOT,
        "{\"status\":\"%s\",\"rejectionRatio\":%.4f,\"requests\":%d,\"rejected\":%d,"
            + "\"rejectingForSeconds\":%.1f,\"limit\":%d,\"minLimit\":%d,"
            + "\"limitAtMinimumForSeconds\":%.1f}",
        s.state(), s.rejectionRatio(), s.requests(), s.rejected(), s.rejectingForNanos() / 1e9,
        s.limit(), s.minLimit(), s.atMinimumForNanos() / 1e9);
    if (s.detectors().isEmpty()) {
      return figures;
    }
    StringBuilder json = new StringBuilder(figures.substring(0, figures.length() - 1));
    String separator = ",\"detectors\":[";
    for (DetectorState d : s.detectors()) {
      // Detector names are the application's own: escape what would end the JSON string.
      String name = d.name().replace("\\", "\\\\").replace("\"", "\\\"");
      json.append(separator).append(String.format(Locale.ROOT,
          "{\"name\":\"%s\",\"level\":\"%s\",\"pressure\":%.2f}", name, d.level(),
          d.signal().pressure()));
      separator = ",";
    }
    return json.append("]}").toString();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (Responses.getOnly(exchange)) {
        OverloadStatus status = monitor.evaluate();
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        Responses.send(exchange, httpStatus(status.state()), "application/json", json(status));
      }
    }
  }
}
