package io.sluice.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.AimdLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.simulator.Scenarios.Algorithm;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each adaptive algorithm, with its defaults, guarding the shared backend in virtual time. Every
 * figure is printed so that a run documents what it measured.
 */
@Tag("simulation")
class AdaptiveLimitSimulationTest {
  private static final long SECOND = 1_000_000_000L;
  private static long noLoadP99;

  @BeforeAll
  static void measureBackend() {
    noLoadP99 = Scenarios.noLoadP99Nanos();
  }

  @ParameterizedTest(name = "{0} at {1}x load, seed {2}")
  @CsvSource({
      "AIMD, 2, 1", "AIMD, 10, 1", "AIMD, 2, 2", "AIMD, 10, 2",
      "VEGAS, 2, 1", "VEGAS, 10, 1", "VEGAS, 2, 2", "VEGAS, 10, 2",
      "GRADIENT, 2, 1", "GRADIENT, 10, 1", "GRADIENT, 2, 2", "GRADIENT, 10, 2"})
  void holdsGoodputNearCapacityAndLatencyNearTheBackendsOwnUnderOverload(
      Algorithm algorithm, double load, long seed) {
    SimulationResult result = Scenarios.backend(algorithm.factory(), load)
        .duration(Duration.ofSeconds(40)).seed(seed).build().run();

    double p99Ratio = (double) result.latencyNanos(0.99) / noLoadP99;
    System.out.printf("%s %.0fx seed %d: goodput %.2f%% of capacity, p99 %.3fx the no-load p99; %s%n",
        algorithm, load, seed, 100 * result.goodputRatio(), p99Ratio, result);
    // The requirement is 95% and 1.5x; the goal 99% and 1.25x. Assert the goal.
    assertThat(result.goodputRatio()).isGreaterThanOrEqualTo(0.99);
    assertThat(p99Ratio).isLessThanOrEqualTo(1.25);
    assertThat(result.rejected()).isPositive();
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void settlesWithinTenWindowsWhenCapacityHalvesAndAgainWhenItReturns(Algorithm algorithm) {
    int optimumHalf = Scenarios.optimumFixedLimit(Scenarios.WORKERS / 2, noLoadP99);
    int optimumFull = Scenarios.optimumFixedLimit(Scenarios.WORKERS, noLoadP99);
    SimulationResult result = Scenarios.backend(algorithm.factory(), 2)
        .duration(Duration.ofSeconds(60))
        .workersAt(Duration.ofSeconds(20), Scenarios.WORKERS / 2)
        .workersAt(Duration.ofSeconds(40), Scenarios.WORKERS)
        .build().run();

    // Settled: from then on at least 90% of the phase's windows lie within 25% of the optimum.
    int afterHalving = result.windowsToSettle(20 * SECOND, 40 * SECOND,
        0.75 * optimumHalf, 1.25 * optimumHalf, 0.9);
    int afterRecovery = result.windowsToSettle(40 * SECOND, 60 * SECOND,
        0.75 * optimumFull, 1.25 * optimumFull, 0.9);
    System.out.printf("%s: optimum %d then %d; settled in %d windows after halving, %d after "
            + "recovery%n  halved:    %s%n  recovered: %s%n", algorithm, optimumHalf, optimumFull,
        afterHalving, afterRecovery, limits(result, 20, 24), limits(result, 40, 44));
    assertThat(afterHalving).isBetween(1, 10);
    assertThat(afterRecovery).isBetween(1, 10);
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void unusuallyFastRequestsDoNotCollapseTheLimit(Algorithm algorithm) {
    // One request in 200 answers in a microsecond (a cache hit, an early validation error).
    ServiceTime withOutliers = ServiceTime.mixture(
        Scenarios.SERVICE, ServiceTime.constant(Duration.ofNanos(1_000)), 0.005);
    SimulationResult plain = Scenarios.backend(algorithm.factory(), 2).build().run();
    SimulationResult outliers = Scenarios.backend(algorithm.factory(), 2)
        .serviceTime(withOutliers).build().run();

    double plainLimit = meanLimit(plain.limitsBetween(5 * SECOND, 30 * SECOND));
    double outlierLimit = meanLimit(outliers.limitsBetween(5 * SECOND, 30 * SECOND));
    System.out.printf("%s: mean limit %.1f without fast outliers, %.1f with; goodput %.2f%%%n",
        algorithm, plainLimit, outlierLimit, 100 * outliers.goodputRatio());
    assertThat(outlierLimit).isGreaterThan(0.85 * plainLimit);
    assertThat(outliers.goodputRatio()).isGreaterThanOrEqualTo(0.95);
  }

  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void requestsAllTimingOutAtTheSameLatencyDriveTheLimitDown(Algorithm algorithm) {
    // From 10 s on the backend hangs: every request takes 150 ms, past the 100 ms client timeout.
    SimulationResult result = Scenarios.backend(algorithm.factory(), 2)
        .duration(Duration.ofSeconds(20))
        .serviceTimeAt(Duration.ofSeconds(10), ServiceTime.constant(Duration.ofMillis(150)))
        .build().run();

    double before = meanLimit(result.limitsBetween(5 * SECOND, 10 * SECOND));
    List<SimulationResult.LimitPoint> after = result.limitsBetween(10 * SECOND, 20 * SECOND);
    int last = after.get(after.size() - 1).limit();
    int highest = after.stream().mapToInt(SimulationResult.LimitPoint::limit).max().orElseThrow();
    System.out.printf("%s: mean limit %.1f before the hang, highest %d and last %d after%n",
        algorithm, before, highest, last);
    assertThat(highest).isLessThanOrEqualTo((int) Math.ceil(before * 1.2));
    assertThat(last).isLessThan((int) (before / 4));
  }

  /**
   * At five requests per second, each taking about 400 ms, windows close on their maximum length
   * with a handful of samples (two or fewer at a limit of 1): for every seed, the limit still rises
   * from 1 toward the demand, and falls when the backend starts timing out.
   */
  @ParameterizedTest(name = "{0}, seed {1}")
  @CsvSource({"AIMD, 1", "AIMD, 2", "AIMD, 42", "VEGAS, 1", "VEGAS, 2", "VEGAS, 42",
      "GRADIENT, 1", "GRADIENT, 2", "GRADIENT, 42"})
  void movesAtLowTraffic(String name, long seed) {
    Supplier<LimitAlgorithm> algorithm = switch (name) {
      case "AIMD" -> () -> AimdLimit.newBuilder().initialLimit(1).timeout(Duration.ofSeconds(1)).build();
      case "VEGAS" -> () -> VegasLimit.newBuilder().initialLimit(1).build();
      default -> () -> GradientLimit.newBuilder().initialLimit(1).build();
    };
    SimulationResult result = Simulation.newBuilder()
        .workers(32)
        .serviceTime(ServiceTime.logNormal(Duration.ofMillis(400), 0.3))
        .arrivalRate(5)
        .timeout(Duration.ofSeconds(2))
        .serviceTimeAt(Duration.ofSeconds(120), ServiceTime.constant(Duration.ofSeconds(3)))
        .duration(Duration.ofSeconds(180))
        .warmup(Duration.ZERO)
        .seed(seed)
        .limiter(Scenarios.factory(algorithm))
        .build().run();

    int atTwenty = limitAt(result, 20 * SECOND);
    int risen = result.limitsBetween(0, 120 * SECOND).stream()
        .mapToInt(SimulationResult.LimitPoint::limit).max().orElseThrow();
    List<SimulationResult.LimitPoint> late = result.limitsBetween(120 * SECOND, 180 * SECOND);
    int fallen = late.get(late.size() - 1).limit();
    double rejectedShare = (double) result.rejected() / result.arrivals();
    System.out.printf("%s at 5/s, seed %d: %d windows; limit rose from 1 to %d by 20 s (peak %d), "
            + "then fell to %d; %.1f%% of requests rejected%n",
        name, seed, result.limits().size(), atTwenty, risen, fallen, 100 * rejectedShare);
    // Mean demand is 2 concurrent requests: a limit of 3 or more admits nearly all of it.
    assertThat(atTwenty).isGreaterThanOrEqualTo(3);
    assertThat(fallen).isLessThan(risen);
  }

  private static int limitAt(SimulationResult result, long nanos) {
    List<SimulationResult.LimitPoint> before = result.limitsBetween(0, nanos);
    return before.get(before.size() - 1).limit();
  }

  private static double meanLimit(List<SimulationResult.LimitPoint> points) {
    return points.stream().mapToInt(SimulationResult.LimitPoint::limit).average().orElseThrow();
  }

  private static String limits(SimulationResult result, int fromSecond, int toSecond) {
    StringBuilder sb = new StringBuilder();
    for (SimulationResult.LimitPoint p : result.limitsBetween(fromSecond * SECOND, toSecond * SECOND)) {
      sb.append(p.limit()).append(' ');
    }
    return sb.toString().trim();
  }
}
