package io.sluice.simulator.matrix;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reduced control matrix, run as CI does: every cell of {@link Grid#reduced()} is swept for
 * its oracle and guarded by each algorithm with its defaults, and every target of the cell is
 * asserted for the default limiter, and for each algorithm on the cells its Javadoc says it serves.
 * Each failure names the cell and the figures that missed.
 */
@Tag("simulation")
@Timeout(300)
class ControlMatrixTest {
  private static List<ControlMatrix.CellResult> results;

  @BeforeAll
  static void runTheReducedGrid() {
    results = ControlMatrix.evaluate(Grid.reduced(), List.of(Contender.values()), true, 2,
        r -> { });
  }

  @ParameterizedTest
  @EnumSource(Contender.class)
  void eachAlgorithmMeetsEveryTargetOnTheCellsItServes(Contender contender) {
    List<String> missed = new ArrayList<>();
    int served = 0;
    for (ControlMatrix.CellResult r : results) {
      Verdict v = r.verdicts().get(contender);
      if (contender.serves(r.cell())) {
        served++;
        if (!v.passed()) {
          missed.add(r.cell().name() + ": " + v.worst());
        }
      }
    }
    assertThat(served).as("cells %s serves", contender).isPositive();
    assertThat(missed).as("%s missed targets", contender).isEmpty();
  }

  /**
   * The default limiter serves every cell, the tightest included (4 workers of 50 ms with a
   * latency objective as tight as their own p99), and collapses on none.
   */
  @Test
  void theDefaultLimiterMeetsEveryTargetItPromisesAndNeverCollapses() {
    Contender standard = Contender.ofDefaultLimiter();
    List<String> missed = new ArrayList<>();
    long served = 0;
    for (ControlMatrix.CellResult r : results) {
      Verdict v = r.verdicts().get(standard);
      served += standard.serves(r.cell()) ? 1 : 0;
      boolean collapsed = v.outcomes.stream()
          .anyMatch(o -> o.kind() == Check.Kind.NO_COLLAPSE && !o.pass());
      if (collapsed || standard.serves(r.cell()) && !v.passed()) {
        missed.add(r.cell().name() + ": " + v.worst());
      }
    }
    assertThat(served).as("cells the default limiter serves").isEqualTo(results.size());
    assertThat(missed).as("the default limiter (%s) missed targets", standard).isEmpty();
  }

  /**
   * In steady overload the default limiter's Retry-After tells the truth: before jitter, within
   * 0.5x-2x of its reference (the larger of the truth and the median round-trip time, never below
   * the configured minimum) at the median, and at the 10th percentile no further below the truth
   * than the jitter reaches.
   */
  @Test
  void theDefaultLimitersRetryAfterMeetsItsTargetsInSteadyOverload() {
    Contender standard = Contender.ofDefaultLimiter();
    List<String> missed = new ArrayList<>();
    int judged = 0;
    for (ControlMatrix.CellResult r : results) {
      RetryAfterVerdict v = new RetryAfterVerdict(r.cell(), r.verdicts().get(standard).run);
      if (v.judged()) {
        judged++;
        if (!v.passed()) {
          missed.add(r.cell().name() + ": " + v.missed());
        }
      }
    }
    assertThat(judged).as("steady-overload cells with refusals").isGreaterThanOrEqualTo(5);
    assertThat(missed).as("Retry-After targets missed").isEmpty();
  }

  @Test
  void theReportHasATablePerAlgorithmWorstCellsFirst() {
    String report = ControlMatrix.markdown(results, true);
    for (Contender c : Contender.values()) {
      assertThat(report).contains("## " + c.label);
    }
    assertThat(report).contains("## Retry-After").contains("## Oracles");
    for (Contender c : Contender.values()) {
      List<Double> margins = new ArrayList<>();
      for (ControlMatrix.CellResult r : results) {
        margins.add(r.verdicts().get(c).margin());
      }
      double worst = margins.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      String section = report.substring(report.indexOf("## " + c.label));
      String firstRow = section.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| cell"))
          .findFirst().orElseThrow();
      String worstCell = results.stream().filter(r -> r.verdicts().get(c).margin() == worst)
          .findFirst().orElseThrow().cell().name();
      assertThat(firstRow).startsWith("| " + worstCell + " |");
    }
  }
}
