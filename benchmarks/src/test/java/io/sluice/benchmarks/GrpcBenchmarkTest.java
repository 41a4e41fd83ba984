package io.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Keeps the gRPC benchmark from rotting: every method runs once, briefly, and gives a score. */
class GrpcBenchmarkTest {

  @Test
  void everyBenchmarkMethodRuns() throws RunnerException {
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(GrpcBenchmark.class.getName() + "\\.")
        .forks(0).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .shouldFailOnError(true).verbosity(VerboseMode.SILENT).build()).run();
    long methods = Arrays.stream(GrpcBenchmark.class.getMethods())
        .filter((Method m) -> m.isAnnotationPresent(Benchmark.class)).count();
    assertThat(results).hasSize((int) methods)
        .allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive().isFinite());
  }
}
