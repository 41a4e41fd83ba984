package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.docs.DocSnippets;
import io.sluice.limit.GradientLimit;
import io.sluice.simulator.ServiceTime;
import io.sluice.simulator.Simulation;
import io.sluice.simulator.SimulationResult;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The snippet of docs/09-simulator.md, verbatim, runs: Gradient keeps goodput at 2x load. */
@Tag("simulation")
class SimulatorDocTest {

  @Test
  void theSimulatorSnippetRuns() {
    // README: simulator
    SimulationResult r = Simulation.newBuilder()
        .workers(32).serviceTime(ServiceTime.logNormal(Duration.ofMillis(10), 0.5))
        .arrivalRate(6400).latencyObjective(Duration.ofMillis(50)).duration(Duration.ofSeconds(10))
        .limiter((clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener)
            .algorithm(GradientLimit.newBuilder()).build())
        .build().run();
    // README end
    assertThat(r.goodputRatio()).isGreaterThan(0.9);
    assertThat(r.rejected()).isPositive();
  }

  @Test
  void theDocsShowThisSnippet() {
    String page = DocSnippets.page("docs/09-simulator.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(1);
    assertThat(DocSnippets.linesMissingFrom(page, Path.of("src", "test", "java", "io", "sluice",
        "examples", "SimulatorDocTest.java"))).isEmpty();
  }
}
