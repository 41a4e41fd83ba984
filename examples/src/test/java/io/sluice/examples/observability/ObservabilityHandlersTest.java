package io.sluice.examples.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Starts the handlers on 127.0.0.1, drives the scripted traffic of {@link ScriptedServer} on a
 * manual clock, and reads /health and /metrics over HTTP.
 */
class ObservabilityHandlersTest {

  @Test
  void healthGoesFromOkToDegradedToOverloadedAndMetricsShowWhatHappened() throws Exception {
    try (ScriptedServer s = new ScriptedServer()) {
      HttpResponse<String> idle = s.get("/health");
      assertThat(idle.statusCode()).isEqualTo(200);
      assertThat(idle.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(idle.body()).startsWith("{\"status\":\"OK\",\"rejectionRatio\":0.0000,");

      s.interval();
      HttpResponse<String> degraded = s.get("/health");
      assertThat(degraded.statusCode()).isEqualTo(200);
      assertThat(degraded.body()).isEqualTo("{\"status\":\"DEGRADED\",\"rejectionRatio\":0.2500,"
          + "\"requests\":24,\"rejected\":6,\"rejectingForSeconds\":10.0,\"limit\":2,"
          + "\"minLimit\":2,\"limitAtMinimumForSeconds\":0.0}");

      for (int i = 2; i <= 30; i++) {
        s.interval();
        assertThat(s.get("/health").statusCode()).as("after %d intervals", i)
            .isEqualTo(i < 30 ? 200 : 503);
      }
      assertThat(s.get("/health").body()).startsWith("{\"status\":\"OVERLOADED\"")
          .contains("\"rejectingForSeconds\":300.0");

      HttpResponse<String> metrics = s.get("/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValue(PrometheusMetricsHandler.CONTENT_TYPE);
      String scrape = metrics.body();
      Files.writeString(Path.of("target", "sample-scrape.txt"), scrape);
      assertThat(scrape.lines()).contains(
          "sluice_executor_admitted_total{name=\"demo\",priority=\"critical\"} 360.0",
          "sluice_executor_admitted_total{name=\"demo\",priority=\"sheddable\"} 180.0",
          "sluice_executor_admitted_total{name=\"demo\",priority=\"critical_plus\"} 0.0",
          "sluice_executor_rejected_total{name=\"demo\",priority=\"sheddable\",reason=\"queue_full\"} 180.0",
          "sluice_executor_rejected_total{name=\"demo\",priority=\"critical\",reason=\"queue_full\"} 0.0",
          "sluice_executor_completed_total{name=\"demo\",outcome=\"success\",priority=\"critical\"} 360.0",
          "sluice_executor_completed_total{name=\"demo\",outcome=\"success\",priority=\"sheddable\"} 180.0",
          "sluice_executor_queued{name=\"demo\",priority=\"sheddable\"} 0.0",
          "sluice_limiter_admitted_total{name=\"demo\"} 540.0",
          "sluice_limiter_completed_total{name=\"demo\",outcome=\"success\"} 540.0",
          "sluice_limiter_limit{name=\"demo\"} 2.0",
          "sluice_limiter_inflight{name=\"demo\"} 0.0",
          "sluice_overload_state{name=\"demo\",state=\"overloaded\"} 1.0",
          "sluice_overload_state{name=\"demo\",state=\"ok\"} 0.0",
          "sluice_overload_rejection_ratio{name=\"demo\"} 0.25");
      // Every SHEDDABLE task that ran waited 5 ms in the queue: all 180 in the bucket that ends
      // at 8.4 ms, none below 4.2 ms; their total is exact.
      String wait = "sluice_executor_queue_wait";
      String sheddable = "name=\"demo\",priority=\"sheddable\"}";
      assertThat(value(scrape, wait + "_histogram_total{le=\"0.004194304\"," + sheddable)).isZero();
      assertThat(value(scrape, wait + "_histogram_total{le=\"0.008388608\"," + sheddable))
          .isEqualTo(180);
      assertThat(value(scrape, wait + "_seconds_count{" + sheddable)).isEqualTo(180);
      assertThat(value(scrape, wait + "_seconds_sum{" + sheddable)).isCloseTo(0.9, within(1e-9));
      assertThat(value(scrape, "sluice_limiter_retry_after_seconds{name=\"demo\"}")).isPositive();

      assertThat(s.get("/metrics").statusCode()).isEqualTo(200);
    }
  }

  private static double value(String scrape, String series) {
    return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
        .map(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .orElseThrow(() -> new AssertionError(series + " not in the scrape:\n" + scrape));
  }
}
