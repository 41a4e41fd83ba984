package io.sluice.examples.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.metrics.LimiterSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the gRPC example on loopback: every call ends once, served or failed after its retries,
 * each served call was admitted once, and the server's limiter is at rest, no permit lost.
 */
class GrpcExampleTest {

  @Test
  @Timeout(60)
  void everyCallEndsAndTheServerIsLeftAtRest() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();

    GrpcExample.Report report = GrpcExample.run(120, 12,
        new PrintStream(printed, true, StandardCharsets.UTF_8));

    LimiterSnapshot server = report.server();
    int served = report.criticalServed() + report.sheddableServed();
    assertThat(served + report.failed()).isEqualTo(report.calls());
    assertThat(server.admitted()).as("each served call admitted once").isEqualTo(served);
    assertThat(server.completed()).isEqualTo(server.admitted());
    assertThat(server.inFlight()).isZero();
    assertThat(server.invalidReleases()).isZero();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("120 calls from 12 callers to a server admitting 4 at a time")
        .contains("critical  served " + report.criticalServed() + " of 60")
        .contains("in flight at the end: 0");
  }
}
