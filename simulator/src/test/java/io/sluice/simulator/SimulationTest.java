package io.sluice.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator itself: reproducible, and its figures agree with queueing arithmetic. */
class SimulationTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void theSameSeedGivesTheSameRunAndAnotherSeedAnother() {
    String first = fingerprint(Scenarios.backend(Scenarios.Algorithm.VEGAS.factory(), 2).seed(7));
    String again = fingerprint(Scenarios.backend(Scenarios.Algorithm.VEGAS.factory(), 2).seed(7));
    String other = fingerprint(Scenarios.backend(Scenarios.Algorithm.VEGAS.factory(), 2).seed(8));
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  /** Everything a run measures except the Retry-After jitter, which is drawn per thread. */
  private static String fingerprint(Simulation.Builder builder) {
    SimulationResult r = builder.build().run();
    return List.of(r.arrivals(), r.admitted(), r.rejected(), r.completed(), r.good(), r.dropped(),
        r.latencyNanos(0.5), r.latencyNanos(0.99), r.latencyNanos(0.999)) + " " + r.limits();
  }

  @Test
  void belowCapacityEverythingIsAdmittedAndServedAtServiceTime() {
    SimulationResult result = Scenarios.backend(Scenarios.fixed(1000), 0.5).build().run();

    assertThat(result.rejected()).isZero();
    assertThat(result.goodputRatio()).isCloseTo(0.5, within(0.02));
    // Log-normal, mean 10 ms, sigma 0.5: median 10 * e^(-0.125) = 8.82 ms.
    assertThat(result.latencyNanos(0.5) / 1e6).isCloseTo(8.82, within(0.3));
    assertThat(result.arrivals()).isEqualTo(result.admitted());
  }

  @Test
  void aFixedLimitAtTheWorkerCountServesAlmostCapacityWithoutQueueing() {
    SimulationResult result = Scenarios.backend(Scenarios.fixed(Scenarios.WORKERS), 10).build().run();
    // Every freed worker is taken by the next arrival within a fraction of a millisecond.
    assertThat(result.goodputRatio()).isGreaterThan(0.97);
    assertThat(result.latencyNanos(0.5) / 1e6).isCloseTo(8.82, within(0.3));
    assertThat(result.rejected()).isGreaterThan(result.admitted() * 8);
  }

  @Test
  void capacityChangesAreAveragedOverTheMeasuredPeriod() {
    SimulationResult result = Scenarios.backend(Scenarios.fixed(1000), 0.1)
        .warmup(Duration.ZERO).duration(Duration.ofSeconds(20))
        .workersAt(Duration.ofSeconds(10), 16)
        .build().run();
    assertThat(result.capacityPerSecond()).isCloseTo(0.75 * Scenarios.CAPACITY, within(1.0));
  }

  @Test
  void theLimitIsRecordedAfterEveryWindow() {
    SimulationResult result = Scenarios.backend(Scenarios.Algorithm.GRADIENT.factory(), 2)
        .duration(Duration.ofSeconds(10)).build().run();
    // 100 ms windows over 10 s.
    assertThat(result.limits()).hasSizeBetween(95, 100);
    assertThat(result.limitsBetween(0, SECOND)).hasSizeBetween(9, 10);
  }

  @Test
  void windowsToSettleFindsTheFirstWindowAfterWhichTheLimitStaysInTheBand() {
    List<Integer> limits = new ArrayList<>(List.of(40, 30, 22, 20, 21, 19, 10, 20, 20, 21, 20, 20));
    SimulationResult result = resultWith(limits);
    // From the third window on, 9 of 10 windows lie in [15, 25]: one dip at 10.
    assertThat(result.windowsToSettle(0, Long.MAX_VALUE, 15, 25, 0.9)).isEqualTo(3);
    assertThat(result.windowsToSettle(0, Long.MAX_VALUE, 15, 25, 1.0)).isEqualTo(8);
    assertThat(result.windowsToSettle(0, Long.MAX_VALUE, 50, 60, 0.9)).isEqualTo(-1);
  }

  @Test
  void missingOrBadSettingsFailAtBuildNamingTheSetting() {
    assertThatThrownBy(() -> Simulation.newBuilder().build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workers");
    assertThatThrownBy(() -> Simulation.newBuilder().arrivalRate(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("arrivalRate must be in (0.0, 1.0E8] but was NaN");
    assertThatThrownBy(() -> Scenarios.backend(Scenarios.fixed(1), 1)
            .duration(Duration.ofSeconds(1)).warmup(Duration.ofSeconds(1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warmup");
  }

  private static SimulationResult resultWith(List<Integer> limits) {
    List<SimulationResult.LimitPoint> points = new ArrayList<>();
    for (int i = 0; i < limits.size(); i++) {
      points.add(new SimulationResult.LimitPoint(i, limits.get(i)));
    }
    return new SimulationResult(1, 1, 0, 0, 0, 0, 0, 0, new org.HdrHistogram.Histogram(3),
        new org.HdrHistogram.Histogram(3), points);
  }
}
