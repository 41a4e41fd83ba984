package io.sluice.examples.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.detector.OverloadLevel;
import io.sluice.detector.OverloadSignal;
import io.sluice.metrics.DetectorState;
import io.sluice.metrics.OverloadState;
import io.sluice.metrics.OverloadStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The /health body with and without overload detectors on the monitored limiter. */
class HealthHandlerJsonTest {
  private static final String FIGURES = "{\"status\":\"DEGRADED\",\"rejectionRatio\":0.0000,"
      + "\"requests\":0,\"rejected\":0,\"rejectingForSeconds\":0.0,\"limit\":10,\"minLimit\":1,"
      + "\"limitAtMinimumForSeconds\":0.0";

  @Test
  void detectorsFollowTheFiguresAndTheirNamesAreEscaped() {
    OverloadStatus status = new OverloadStatus(OverloadState.DEGRADED, 0, 0, 0, 0, 0, 10, 1, 0,
        List.of(new DetectorState("heartbeat",
                new OverloadSignal(OverloadLevel.SEVERE, 1.2, 0.6, 0)),
            new DetectorState("db \"main\"", OverloadSignal.none(0))));
    assertThat(HealthHandler.json(status)).isEqualTo(FIGURES + ",\"detectors\":["
        + "{\"name\":\"heartbeat\",\"level\":\"SEVERE\",\"pressure\":1.20},"
        + "{\"name\":\"db \\\"main\\\"\",\"level\":\"NONE\",\"pressure\":0.00}]}");
  }

  @Test
  void withoutDetectorsTheBodyIsTheFiguresAlone() {
    OverloadStatus status = new OverloadStatus(OverloadState.DEGRADED, 0, 0, 0, 0, 0, 10, 1, 0);
    assertThat(HealthHandler.json(status)).isEqualTo(FIGURES + "}");
  }
}
