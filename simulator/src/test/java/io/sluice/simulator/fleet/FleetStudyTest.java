package io.sluice.simulator.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.simulator.fleet.FleetStudy.EventRow;
import io.sluice.simulator.fleet.FleetStudy.Plan;
import io.sluice.simulator.fleet.FleetStudy.Row;
import io.sluice.simulator.fleet.FleetStudy.SignalRow;
import io.sluice.simulator.fleet.FleetStudy.Study;
import io.sluice.simulator.fleet.FleetStudy.Variant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reduced fleet study, run as CI does, asserting the claims that docs/fleet.md and
 * docs/21-running-a-fleet.md make from the full one. A failure here means a claim of those pages
 * no longer holds: fix the code, or regenerate the study and correct the pages.
 */
@Tag("simulation")
@Timeout(120)
class FleetStudyTest {
  private static final long SECOND = 1_000_000_000L;
  private static Study study;

  @BeforeAll
  static void runTheReducedStudy() {
    study = FleetStudy.run(new Plan(false, 2));
  }

  @Test
  void equalReplicasBehindRoundRobinConvergeWithoutCoordinationAndMatchTheOracle() {
    Row rr = row(study.equal(), Balancer.ROUND_ROBIN, Variant.SLUICE);
    Convergence c = rr.convergence();
    assertThat(c.fleetSettleSeconds()).as("every replica settled within").isLessThan(5);
    assertThat(c.spread()).as("settled limits apart").isLessThan(0.35);
    assertThat(c.medianOscillation()).as("oscillation once settled").isLessThan(0.3);
    assertThat(rr.goodputRatio()).as("goodput / oracle").isGreaterThanOrEqualTo(0.97);
    assertThat(rr.p99Ratio()).as("p99 / oracle").isLessThanOrEqualTo(1.3);
  }

  @Test
  void behindLeastOutstandingOneReplicaTakesTheRefusalsAndTheOthersNeverReachTheirLimit() {
    Row lo = row(study.equal(), Balancer.LEAST_OUTSTANDING, Variant.SLUICE);
    FleetResult run = lo.run();
    long total = 0;
    long most = 0;
    for (int i = 0; i < run.replicas; i++) {
      total += run.rejected(i);
      most = Math.max(most, run.rejected(i));
    }
    assertThat((double) most / total).as("share of refusals on one replica").isGreaterThan(0.8);
    assertThat(lo.convergence().spread()).as("settled limits apart").isGreaterThan(0.5);
    assertThat(lo.goodputOfCapacity()).isGreaterThan(0.97);
  }

  @Test
  void aSlowReplicasLimiterKeepsTheFleetsP99AndTheBalancerDecidesTheRest() {
    List<Row> rows = study.slow();
    Row unprotected = row(rows, Balancer.ROUND_ROBIN, Variant.NONE);
    Row guarded = row(rows, Balancer.ROUND_ROBIN, Variant.SLUICE);
    Row retried = row(rows, Balancer.ROUND_ROBIN, Variant.SLUICE_RETRY);
    Row least = row(rows, Balancer.LEAST_OUTSTANDING, Variant.SLUICE);
    // Round robin sends the slow replica 1.5x what it serves: without a limit its queue grows
    // for the whole run, and 12.5% of all requests wait seconds.
    assertThat(unprotected.run().latencyNanos(0.99)).isGreaterThan(SECOND);
    assertThat(guarded.run().latencyNanos(0.99)).isLessThan(SECOND / 10);
    // Its limiter refuses a third of what it is sent: 4% of the fleet's traffic, though the
    // other replicas have room; one retry at the balancer serves them elsewhere.
    assertThat(guarded.run().refusedShare()).isBetween(0.02, 0.08);
    assertThat(retried.run().refusedShare()).isLessThan(0.005);
    assertThat(retried.goodputOfCapacity()).isGreaterThan(0.78);
    // Least outstanding sends it less: nothing is refused, nothing queues long.
    assertThat(least.run().refusedShare()).isZero();
    assertThat(least.goodputOfCapacity()).isGreaterThan(0.78);
    assertThat(least.run().latencyNanos(0.99)).isLessThan(SECOND / 10);
  }

  @Test
  void unequalReplicasBehindLeastOutstandingLoseAThirdOfTheFleet() {
    List<Row> rows = study.unequal();
    assertThat(row(rows, Balancer.ROUND_ROBIN, Variant.SLUICE).goodputOfCapacity())
        .isGreaterThan(0.95);
    double least = row(rows, Balancer.LEAST_OUTSTANDING, Variant.SLUICE).goodputOfCapacity();
    assertThat(least).isLessThan(0.8);
    assertThat(row(rows, Balancer.TWO_CHOICES, Variant.SLUICE).goodputOfCapacity())
        .isGreaterThan(least + 0.1);
  }

  @Test
  void replicasSharingASaturatedDownstreamHoldItsGoodputAndShareItFairly() {
    Row r = study.downstream().get(0);
    assertThat(r.goodputRatio()).as("goodput / oracle").isGreaterThanOrEqualTo(0.97);
    assertThat(r.p99Ratio()).as("p99 / oracle").isLessThanOrEqualTo(1.5);
    assertThat(r.oracle().unprotected.goodputPerSecond())
        .as("goodput without limits").isLessThan(0.1 * r.oracle().best.goodputPerSecond());
    assertThat(r.run().fairness()).as("Jain's index").isGreaterThan(0.85);
  }

  @Test
  void whenTheDownstreamSlowsEveryReplicaBacksOffAtOnceAndTooFarUntilReMeasured() {
    EventRow standard = event("default");
    EventRow quick = event("VegasLimit, probeInterval 5 s");
    FleetResult run = standard.run();
    long from = standard.fromNanos();
    long to = standard.toNanos();
    for (int i = 0; i < run.replicas; i++) {
      double before = run.meanLimit(i, from - 10 * SECOND, from);
      assertThat(run.meanLimit(i, from + 3 * SECOND, from + 13 * SECOND))
          .as("replica %d's limit after the slowdown", i).isLessThan(0.3 * before);
    }
    for (int k = (int) (from / run.intervalNanos) + 1; (k + 1) * run.intervalNanos <= to; k++) {
      assertThat(run.fairness(k)).as("fairness in interval %d", k).isGreaterThan(0.95);
    }
    // The downstream serves 1600 calls/s; read as queueing, the longer calls hold the fleet to
    // less than half of that until the baseline is re-measured, twice (30 s apart by default).
    double served = 1600;
    assertThat(run.goodputPerSecondBetween(from + 3 * SECOND, to)).isLessThan(0.6 * served);
    FleetResult q = quick.run();
    assertThat(q.goodputPerSecondBetween(from + 15 * SECOND, to)).isGreaterThan(0.85 * served);
    // Both come back to the offered load once it recovers.
    for (FleetResult x : List.of(run, q)) {
      assertThat(x.goodputPerSecondBetween(to + 3 * SECOND, x.durationNanos))
          .isGreaterThan(0.97 * standard.scenario().rate());
    }
  }

  @Test
  void moreReplicasInFrontOfASaturatedDownstreamServeNoMoreAndQueueMore() {
    Row few = study.moreReplicas().get(0);
    Row many = study.moreReplicas().get(study.moreReplicas().size() - 1);
    assertThat(many.run().replicas).isGreaterThan(few.run().replicas);
    assertThat(many.run().goodputPerSecond()).isLessThan(1.02 * few.run().goodputPerSecond());
    assertThat(many.run().refusedShare()).isGreaterThan(few.run().refusedShare() - 0.01);
    assertThat(many.run().latencyNanos(0.99)).isGreaterThan(few.run().latencyNanos(0.99));
  }

  @Test
  void theFleetsRefusedShareMeasuresTheExcessLoadAndNoOtherSignalDoes() {
    SignalRow half = signal(Balancer.ROUND_ROBIN, 0.5);
    assertThat(FleetReport.attemptsRefused(half.run())).isZero();
    for (double load : new double[] {1.25, 2, 3}) {
      SignalRow s = signal(Balancer.ROUND_ROBIN, load);
      double implied = s.run().replicas / (1 - FleetReport.attemptsRefused(s.run()));
      double needed = s.scenario().rate() / 800;
      assertThat(implied / needed).as("replicas implied / needed at %sx", load)
          .isBetween(0.95, 1.05);
    }
    // Behind least outstanding one replica takes the refusals: the fleet's share is the same,
    // the mean of the replicas' ratios is not.
    SignalRow rr = signal(Balancer.ROUND_ROBIN, 2);
    SignalRow lo = signal(Balancer.LEAST_OUTSTANDING, 2);
    double fleet = FleetReport.attemptsRefused(lo.run());
    assertThat(fleet).isCloseTo(FleetReport.attemptsRefused(rr.run()),
        org.assertj.core.data.Offset.offset(0.01));
    assertThat(lo.run().meanOverMeasured(lo.run()::monitorRatio)).isLessThan(0.5 * fleet);
    // The limit falls as load rises past capacity; in-flight / limit depends on the balancer.
    assertThat(half.run().meanOverMeasured(half.run()::sampledLimit))
        .isGreaterThan(signal(Balancer.ROUND_ROBIN, 3).run()
            .meanOverMeasured(signal(Balancer.ROUND_ROBIN, 3).run()::sampledLimit));
    assertThat(rr.run().meanOverMeasured(rr.run()::utilisation)).isGreaterThan(0.9);
    assertThat(lo.run().meanOverMeasured(lo.run()::utilisation)).isLessThan(0.5);
  }

  @Test
  void theReportHasEverySection() {
    String report = FleetReport.markdown(study);
    assertThat(report).contains("# Fleet study", "## 1. Equal replicas", "## 2. One replica",
        "## 3. Unequal replicas", "### 4a.", "### 4b.", "### 4c.", "## 5. What an autoscaler",
        "-Pfleet-study", FleetStudy.defaultAlgorithm());
  }

  private static Row row(List<Row> rows, Balancer b, Variant v) {
    return rows.stream().filter(r -> r.scenario().balancer() == b && r.variant() == v)
        .findFirst().orElseThrow();
  }

  private static EventRow event(String limiter) {
    return study.downstreamSlows().stream().filter(e -> e.limiter().equals(limiter))
        .findFirst().orElseThrow();
  }

  private static SignalRow signal(Balancer b, double load) {
    return study.signals().stream()
        .filter(s -> s.scenario().balancer() == b && s.scenario().load() == load)
        .findFirst().orElseThrow();
  }
}
