package io.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.benchmarks.BenchmarkSuite.Measurement;
import io.sluice.benchmarks.BenchmarkSuite.Section;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Keeps the benchmarks from rotting: every benchmark of the suite runs once, briefly, for every
 * contender, and the macro benchmark runs in its quick mode. Asserts that each returned a result,
 * never how fast anything was.
 */
class BenchmarkSmokeTest {

  @Test
  void everyBenchmarkOfTheSuiteRunsForEveryContender() throws RunnerException {
    // In-process (no fork) and 100 ms per benchmark: a few seconds for the whole suite. Two
    // threads, so that a limit that binds under contention fails the tear-down check here too.
    ChainedOptionsBuilder options = new OptionsBuilder()
        .forks(0)
        .threads(2)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true)
        .verbosity(VerboseMode.SILENT);
    for (Section section : BenchmarkSuite.SECTIONS) {
      options.include(section.benchmark().getName() + "\\.");
    }
    Collection<RunResult> results = new Runner(options.build()).run();

    List<Measurement> measurements = results.stream().map(BenchmarkSuite::measurement).toList();
    List<String> expected = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (Section section : BenchmarkSuite.SECTIONS) {
      for (String contender : contenders(section.benchmark())) {
        expected.add(section.key() + " " + contender);
      }
      measurements.stream().filter(section::covers)
          .forEach(m -> seen.add(section.key() + " " + m.contender()));
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(seen).as("every result belongs to exactly one section").hasSameSizeAs(measurements);
    assertThat(measurements).allSatisfy(m -> {
      assertThat(m.score()).isPositive().isFinite();
      assertThat(m.bytesPerOp()).isNotNaN();
    });
  }

  @Test
  void theQuickMacroBenchmarkHasARowForEveryScenarioAndContender() {
    String table = MacroBenchmark.run(true);

    int contenders = MacroBenchmark.Contender.values().length;
    long sluice = Arrays.stream(MacroBenchmark.Contender.values()).filter(c -> c.sluice).count();
    // 2x, 10x, capacity halved: all; low traffic: all but the oracle; fast backend: Sluice only.
    long expectedRows = 3L * contenders + (contenders - 1) + sluice;
    assertThat(table.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| scenario")))
        .hasSize((int) expectedRows);
  }

  @Test
  void theTableDividesEachFigureByTheReferenceOfTheSameThreadCount() {
    Section section = new Section(AdmitBenchmark.class, "admit", "FLOOR");
    List<Measurement> measurements = List.of(
        new Measurement("AdmitBenchmark.admitRoundTrip", "FLOOR", 1, 50, 1, "ns/op", 0.0001),
        new Measurement("AdmitBenchmark.admitRoundTrip", "SLUICE_VEGAS", 1, 25, 0.5, "ns/op", 0.0001),
        new Measurement("AdmitBenchmark.admitRoundTrip", "FLOOR", 2, 100, 2, "ns/op", 0.0001),
        new Measurement("AdmitBenchmark.admitRoundTrip", "SLUICE_VEGAS", 2, 40, Double.NaN, "ns/op", 56.2),
        new Measurement("RejectBenchmark.reject", "SLUICE", 1, 8, 0.1, "ns/op", 0));

    String table = BenchmarkSuite.table(section, measurements);

    assertThat(table).contains(
        "| contender | 1 thread, ns/op | x floor | B/op | 2 threads, ns/op | x floor | B/op |",
        "| FLOOR | 50.0 ± 1.0 | 1.00 | 0 | 100.0 ± 2.0 | 1.00 | 0 |",
        "| SLUICE_VEGAS | 25.0 ± 0.5 | 0.50 | 0 | 40.0 | 0.40 | 56 |");
    assertThat(table).doesNotContain("SLUICE |");
  }

  private static List<String> contenders(Class<?> benchmark) {
    try {
      Class<?> contender = Class.forName(benchmark.getName() + "$Contender");
      return Arrays.stream(contender.getEnumConstants()).map(Object::toString).toList();
    } catch (ClassNotFoundException e) {
      return Arrays.stream(Implementation.values()).map(Object::toString).toList();
    }
  }
}
