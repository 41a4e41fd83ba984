package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.docs.DocSnippets;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.limit.WindowStats;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The snippet of docs/api-conventions.md, line for line, compiled and run. */
class ApiConventionsDocTest {

  /** A custom algorithm for the page: half of its maximum, always. */
  static final class HalfOfMax implements LimitAlgorithm {
    @Override
    public int initialLimit() {
      return 8;
    }

    @Override
    public int minLimit() {
      return 1;
    }

    @Override
    public int maxLimit() {
      return 16;
    }

    @Override
    public int update(WindowStats window) {
      return 8;
    }
  }

  @Test
  void eachLimiterBuildsTheAlgorithmItOwns() {
    Limiter vegas = Limiter.newBuilder().algorithm(VegasLimit.newBuilder().maxLimit(200)).build();
    Limiter fixed = Limiter.newBuilder().algorithm(FixedLimit.of(20)).build();
    Limiter custom = Limiter.newBuilder().algorithm(HalfOfMax::new).build();

    assertThat(vegas.snapshot().maxLimit()).isEqualTo(200);
    assertThat(fixed.limit()).isEqualTo(20);
    assertThat(custom.limit()).isEqualTo(8);
    assertThat(custom.snapshot().maxLimit()).isEqualTo(16);
  }

  @Test
  void thePageShowsTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/api-conventions.md"),
        Path.of("src", "test", "java", "io", "sluice", "ApiConventionsDocTest.java"));
  }
}
