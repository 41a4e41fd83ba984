package io.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.benchmarks.HistogramBenchmark.Contender;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** The histogram benchmark runs for every contender, and the comparison table is complete. */
class HistogramBenchmarkTest {

  @Test
  void everyContenderRecords() throws RunnerException {
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(HistogramBenchmark.class.getName() + "\\.")
        .forks(0).threads(2).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .shouldFailOnError(true).verbosity(VerboseMode.SILENT).build()).run();
    assertThat(results).hasSize(Contender.values().length)
        .allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive().isFinite());
  }

  @Test
  void theComparisonHasMemoryAndPrecisionForEachHistogram() {
    String table = HistogramComparison.table(5, 2_000);
    assertThat(table.lines().filter(l -> l.startsWith("| Sluice") || l.startsWith("| Hdr")))
        .hasSize(3);
    // Sluice's quantiles are bucket midpoints: within half a bucket, about 3%.
    String sluice = table.lines().filter(l -> l.startsWith("| Sluice")).findFirst().orElseThrow();
    double error = Double.parseDouble(sluice.replaceAll(".*\\| ([0-9.]+)% \\|$", "$1"));
    assertThat(error).isLessThan(3.2);
  }
}
