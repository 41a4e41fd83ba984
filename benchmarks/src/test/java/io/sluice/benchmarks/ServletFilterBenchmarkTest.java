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

/** Keeps the servlet filter benchmark honest: its paths do what their names say, and it runs. */
class ServletFilterBenchmarkTest {

  @Test
  void theAdmitPathsAdmitAndTheRefusalNeverReachesTheApplication() throws Exception {
    ServletFilterBenchmark benchmark = new ServletFilterBenchmark();
    benchmark.fill();
    assertThat(benchmark.filterAdmit()).isEqualTo(200);
    assertThat(benchmark.filterAdmitRouted()).isEqualTo(200);
    assertThat(benchmark.filterAdmitWithPriority()).isEqualTo(200);
    assertThat(benchmark.limiter.inFlight()).isZero();
    assertThat(benchmark.application.calls).isEqualTo(3);

    benchmark.filterRefusal();
    assertThat(benchmark.response.getStatus()).isEqualTo(503);
    assertThat(benchmark.application.calls).as("the refusal did not call it").isEqualTo(3);
    benchmark.empty();
  }

  @Test
  void everyBenchmarkMethodRuns() throws RunnerException {
    Collection<RunResult> results = new Runner(new OptionsBuilder()
        .include(ServletFilterBenchmark.class.getName() + "\\.")
        .forks(0).warmupIterations(0).measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .shouldFailOnError(true).verbosity(VerboseMode.SILENT).build()).run();
    long methods = Arrays.stream(ServletFilterBenchmark.class.getMethods())
        .filter((Method m) -> m.isAnnotationPresent(Benchmark.class)).count();
    assertThat(results).hasSize((int) methods)
        .allSatisfy(r -> assertThat(r.getPrimaryResult().getScore()).isPositive().isFinite());
  }
}
