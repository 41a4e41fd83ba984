package io.sluice.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sluice.Limiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator itself: reproducible, and its figures agree with queueing arithmetic. */
class SimulationTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long BUCKET = Simulation.BUCKET_NANOS;

  @Test
  void theSameSeedGivesTheSameRunAndAnotherSeedAnother() {
    String first = fingerprint(Scenarios.backend(Scenarios.Algorithm.VEGAS.factory(), 2).seed(7));
    String again = fingerprint(Scenarios.backend(Scenarios.Algorithm.VEGAS.factory(), 2).seed(7));
    String other = fingerprint(Scenarios.backend(Scenarios.Algorithm.VEGAS.factory(), 2).seed(8));
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void aFactoryThatReturnsALimiterAnEarlierRunUsedIsRefused() {
    Limiter[] kept = new Limiter[1];
    Simulation simulation = Scenarios.backend((clock, listener) -> {
      if (kept[0] == null) {
        kept[0] = Scenarios.fixed(4).create(clock, listener);
      }
      return kept[0];
    }, 1).duration(Duration.ofSeconds(2)).warmup(Duration.ZERO).build();
    simulation.run();
    assertThatThrownBy(simulation::run).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already served");
  }

  /**
   * Everything a run measures, Retry-After truth included; not the hints, which the limiter's
   * thread-local draws may change a little (see Simulation).
   */
  private static String fingerprint(Simulation.Builder builder) {
    SimulationResult r = builder.build().run();
    return List.of(r.arrivals(), r.admitted(), r.rejected(), r.completed(), r.good(), r.dropped(),
        r.latencyNanos(0.5), r.latencyNanos(0.99), r.latencyNanos(0.999),
        r.retryAfterTruthNanos(0.5), r.retryAfterTruthNanos(0.9), r.retryAfterSamples())
        + " " + r.limits();
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
  void aStallFreezesTheBackendAndItsWorkResumesAfterIt() {
    // One worker, 10 ms per request, 10 requests per second: no queue, until a 2 s stall at 10 s.
    SimulationResult result = Simulation.newBuilder()
        .workers(1).serviceTime(ServiceTime.constant(Duration.ofMillis(10))).arrivalRate(10)
        .duration(Duration.ofSeconds(20)).warmup(Duration.ZERO)
        .stallAt(Duration.ofSeconds(10), Duration.ofSeconds(2))
        .limiter(Scenarios.fixed(1000)).build().run();

    assertThat(result.goodputPerSecondBetween(10 * SECOND + BUCKET, 12 * SECOND)).isZero();
    assertThat(result.goodputPerSecondBetween(0, 10 * SECOND)).isCloseTo(10, within(1.5));
    // About 20 requests queued during the stall, served at 100/s just after it.
    assertThat(result.goodputPerSecondBetween(12 * SECOND, 12 * SECOND + 3 * BUCKET))
        .isGreaterThan(50);
    // The first request to arrive in the stall waits for all of it, then its own 10 ms.
    assertThat(result.latencyNanos(1.0)).isBetween(19 * SECOND / 10, 2 * SECOND + 20_000_000L);
    assertThat(result.completed()).isEqualTo(result.admitted());
    // Capacity is zero during the stall: 18 of 20 seconds at 100/s.
    assertThat(result.capacityPerSecond()).isCloseTo(90, within(0.01));
  }

  @Test
  void aRateOfZeroStopsArrivalsUntilTheNextChange() {
    SimulationResult result = Scenarios.backend(Scenarios.fixed(1000), 0.1)
        .warmup(Duration.ZERO).duration(Duration.ofSeconds(30))
        .rateAt(Duration.ofSeconds(10), 0).rateAt(Duration.ofSeconds(20), 320)
        .build().run();
    assertThat(result.arrivalsPerSecondBetween(10 * SECOND, 20 * SECOND)).isZero();
    assertThat(result.arrivalsPerSecondBetween(0, 10 * SECOND)).isCloseTo(320, within(25.0));
    assertThat(result.arrivalsPerSecondBetween(20 * SECOND, 30 * SECOND))
        .isCloseTo(320, within(25.0));
  }

  @Test
  void paretoServiceTimesHaveTheirMeanAndAHeavyTail() {
    ServiceTime pareto = ServiceTime.pareto(Duration.ofMillis(10), 2.5);
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    double sum = 0;
    long atLeastFiveTimesTheMean = 0;
    int n = 1_000_000;
    for (int i = 0; i < n; i++) {
      long x = pareto.sampleNanos(random);
      sum += x;
      atLeastFiveTimesTheMean += x >= 50_000_000L ? 1 : 0;
    }
    assertThat(sum / n / 1e6).isCloseTo(10.0, within(0.3));
    // P(X >= 5 mean) = (scale / (5 mean))^alpha = (0.6 / 5)^2.5 = 0.0050.
    assertThat((double) atLeastFiveTimesTheMean / n).isCloseTo(0.0050, within(0.0005));
  }

  @Test
  void clientsRetryRefusalsAfterTheHintOrAfterTheirOwnBackoff() {
    Simulation.Builder base = Scenarios.backend(Scenarios.fixed(Scenarios.WORKERS), 2)
        .duration(Duration.ofSeconds(20));
    SimulationResult none = base.build().run();
    SimulationResult honouring = base.retries(3, Duration.ofMillis(10), true).build().run();
    SimulationResult naive = base.retries(3, Duration.ofMillis(10), false).build().run();

    assertThat(none.retries()).isZero();
    // Half the requests are refused, and each refusal comes back up to three times.
    assertThat(honouring.retries()).isGreaterThan(none.arrivals() / 2);
    assertThat(naive.retries()).isGreaterThan(none.arrivals() / 2);
    assertThat(honouring.arrivals()).isEqualTo(none.arrivals() + honouring.retries());
    // The limit is full either way, so goodput does not fall; clients told to come back after
    // about one round trip also fill the moments Poisson arrivals leave the limit short.
    assertThat(honouring.goodputRatio()).isGreaterThan(none.goodputRatio() - 0.02);
  }

  @Test
  void theRetryAfterTruthIsTheTimeUntilTheLimiterHadRoom() {
    // One permit, 100 ms per request, arrivals far above 10/s: a refusal at t waits until the
    // request in service completes, on average half a service time (more by the inspection
    // paradox: here exactly uniform in (0, 100 ms]).
    SimulationResult result = Simulation.newBuilder()
        .workers(1).serviceTime(ServiceTime.constant(Duration.ofMillis(100))).arrivalRate(1000)
        .duration(Duration.ofSeconds(30)).limiter(Scenarios.fixed(1)).build().run();

    assertThat(result.retryAfterSamples()).isCloseTo(result.rejected(), within(1000L));
    assertThat(result.retryAfterTruthNanos(0.5) / 1e6).isCloseTo(50, within(5.0));
    assertThat(result.retryAfterTruthNanos(0.99) / 1e6).isCloseTo(99, within(2.0));
    double ratio = result.retryAfterRatio(0.5);
    assertThat(ratio).isCloseTo(
        (double) result.retryAfterNanos(0.5) / result.retryAfterTruthNanos(0.5),
        within(0.5 * ratio));
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
    return new SimulationResult(new Measurements(1, 0), points);
  }
}
