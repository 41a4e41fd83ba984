package io.sluice.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.docs.DocSnippets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The snippet of docs/algorithms.md, line for line, compiled and run. */
class AlgorithmsDocTest {

  @Test
  void thePagesLimitersBuildWithTheirAlgorithmsDefaults() {
    Limiter limiter = Limiter.newBuilder().build();                        // VegasLimit, defaults
    Limiter gradient = Limiter.newBuilder()
        .algorithm(GradientLimit.newBuilder()).build();
    Limiter aimd = Limiter.newBuilder()                                    // explicit objective
        .algorithm(AimdLimit.newBuilder().timeout(Duration.ofMillis(200))).build();

    for (Limiter l : new Limiter[] {limiter, gradient, aimd}) {
      assertThat(l.limit()).isEqualTo(20);
      assertThat(l.inFlight()).isZero();
    }
    assertThat(limiter.toString()).contains("VegasLimit");
    assertThat(gradient.toString()).contains("GradientLimit");
    assertThat(aimd.toString()).contains("AimdLimit");
  }

  @Test
  void thePageShowsTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/algorithms.md"), Path.of("src", "test",
        "java", "io", "sluice", "limit", "AlgorithmsDocTest.java"));
  }
}
