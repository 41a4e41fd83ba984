package io.sluice.simulator.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.simulator.ServiceTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fleet model itself: determinism, what each balancer does, the shared downstream, balancer
 * retries and the builder's checks, on small fleets and short runs.
 */
@Tag("simulation")
class FleetSimulationTest {
  private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

  private static FleetSimulation.Builder fleet(List<Replica> replicas, Balancer balancer,
      double rate) {
    return FleetSimulation.newBuilder().replicas(replicas).balancer(balancer).arrivalRate(rate)
        .duration(TEN_SECONDS).warmup(Duration.ofSeconds(2)).interval(Duration.ofSeconds(1))
        .latencyObjective(Scenario.OBJECTIVE).timeout(Scenario.TIMEOUT)
        .limiter(FleetStudy.defaultLimiter());
  }

  @Test
  void theSameSeedGivesTheSameRunFigureForFigure() {
    FleetSimulation s = fleet(Scenario.equal(4), Balancer.RANDOM, 6400).seed(7).build();
    FleetResult a = s.run();
    FleetResult b = s.run();
    assertThat(b.goodputPerSecond()).isEqualTo(a.goodputPerSecond());
    assertThat(b.latencyNanos(0.99)).isEqualTo(a.latencyNanos(0.99));
    for (int i = 0; i < 4; i++) {
      assertThat(b.limits(i)).isEqualTo(a.limits(i));
      assertThat(b.sent(i)).isEqualTo(a.sent(i));
    }
    FleetResult other = fleet(Scenario.equal(4), Balancer.RANDOM, 6400).seed(8).build().run();
    assertThat(other.sent(0)).isNotEqualTo(a.sent(0));
  }

  @Test
  void roundRobinSendsEveryReplicaTheSameCountAndRandomRoughlySo() {
    FleetResult rr = fleet(Scenario.equal(4), Balancer.ROUND_ROBIN, 1600).build().run();
    FleetResult random = fleet(Scenario.equal(4), Balancer.RANDOM, 1600).build().run();
    long total = 0;
    for (int i = 0; i < 4; i++) {
      assertThat(rr.sent(i)).isBetween(rr.sent(0) - 1, rr.sent(0) + 1);
      total += random.sent(i);
    }
    for (int i = 0; i < 4; i++) {
      assertThat((double) random.sent(i) / total).isBetween(0.23, 0.27);
    }
  }

  @Test
  void leastOutstandingAndTwoChoicesSendLessToASlowReplica() {
    List<Replica> replicas = Scenario.equal(4);
    replicas.set(0, replicas.get(0).slowedBy(3));
    for (Balancer b : List.of(Balancer.LEAST_OUTSTANDING, Balancer.TWO_CHOICES)) {
      FleetResult r = fleet(replicas, b, 1600).build().run();
      long total = r.sent(0) + r.sent(1) + r.sent(2) + r.sent(3);
      assertThat((double) r.sent(0) / total).as("%s", b).isLessThan(0.2);
      assertThat(r.refusedShare()).as("%s", b).isZero();
    }
  }

  @Test
  void aSharedDownstreamBoundsWhatTheFleetServes() {
    FleetResult r = fleet(Scenario.equal(4), Balancer.ROUND_ROBIN, 3200)
        .downstream(new Downstream(4, ServiceTime.logNormal(Duration.ofMillis(5), 0.5)))
        .build().run();
    // Four downstream workers of 5 ms serve 800 calls/s, a quarter of the offered 3200/s.
    assertThat(r.goodputPerSecond()).isBetween(700.0, 820.0);
    assertThat(r.refusedShare()).isGreaterThan(0.7);
    assertThat(r.meanOverMeasured(r::downstreamBusy)).isGreaterThan(0.9);
    assertThat(r.downstreamWaitNanos(0.5)).isPositive();
  }

  @Test
  void aDownstreamSlowdownTakesEffectAtItsTimeAndEnds() {
    // Without limits, so that the workers, not a limiter, decide what reaches the downstream.
    FleetResult r = fleet(Scenario.equal(4), Balancer.ROUND_ROBIN, 1000)
        .limiter(FleetOracle.fixed(FleetOracle.UNLIMITED))
        .downstream(new Downstream(16, ServiceTime.constant(Duration.ofMillis(5))))
        .downstreamSlowdownAt(Duration.ofSeconds(4), 10).downstreamSlowdownAt(
            Duration.ofSeconds(7), 1)
        .build().run();
    // 1000/s at 5 ms: 5 of its 16 workers busy; at 50 ms, 50 calls would be in flight, more than
    // it serves at once, and more than the replicas' 32 workers can wait on.
    assertThat(r.downstreamQueue(2)).isLessThan(0.5);
    assertThat(r.downstreamBusy(2)).isBetween(0.2, 0.45);
    assertThat(r.downstreamBusy(5)).isGreaterThan(0.95);
    assertThat(r.downstreamQueue(5)).isGreaterThan(10);
    assertThat(r.downstreamBusy(9)).isBetween(0.2, 0.45);
  }

  @Test
  void aBalancerRetrySendsARefusedRequestToAnotherReplica() {
    List<Replica> replicas = Scenario.equal(4);
    replicas.set(0, replicas.get(0).slowedBy(4));
    FleetResult once = fleet(replicas, Balancer.ROUND_ROBIN, 2400).build().run();
    FleetResult retried = fleet(replicas, Balancer.ROUND_ROBIN, 2400).balancerRetries(1)
        .build().run();
    assertThat(once.refusedShare()).isGreaterThan(0.05);
    assertThat(retried.refusedShare()).isLessThan(0.2 * once.refusedShare());
    long sent = 0;
    for (int i = 0; i < 4; i++) {
      sent += retried.sent(i);
      assertThat(retried.rejected(i)).isLessThanOrEqualTo(retried.sent(i));
    }
    // Every refusal by replica 0 came back as a second attempt elsewhere.
    assertThat(sent).isGreaterThan(once.sent(0) + once.sent(1) + once.sent(2) + once.sent(3));
  }

  @Test
  void theMonitorsRatioIsTheShareEachReplicaRefused() {
    FleetResult r = fleet(Scenario.equal(2), Balancer.ROUND_ROBIN, 3200).build().run();
    // 2x the capacity of two replicas of 800/s: about half refused, on both, once settled.
    for (int k = 4; k < r.intervals; k++) {
      assertThat(r.monitorRatio(k, 0)).isBetween(0.4, 0.6);
      assertThat(r.monitorRatio(k, 1)).isBetween(0.4, 0.6);
      assertThat(r.utilisation(k)).isBetween(0.5, 1.0);
      assertThat(r.busyShare(k)).isGreaterThan(0.9);
    }
    assertThat(FleetReport.attemptsRefused(r)).isEqualTo(r.refusedShare());
  }

  @Test
  void everySettingIsCheckedAndNamed() {
    assertThatThrownBy(() -> FleetSimulation.newBuilder().arrivalRate(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("arrivalRate");
    assertThatThrownBy(() -> FleetSimulation.newBuilder().balancerRetries(4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("balancerRetries");
    assertThatThrownBy(() -> FleetSimulation.newBuilder().replicas(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("replicas");
    assertThatThrownBy(() -> new Replica(0, Scenario.SERVICE, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("workers");
    assertThatThrownBy(() -> fleet(Scenario.equal(2), Balancer.RANDOM, 100)
        .downstreamSlowdownAt(Duration.ofSeconds(1), 2).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("downstream");
    assertThatThrownBy(() -> fleet(Scenario.equal(2), Balancer.RANDOM, 100)
        .warmup(Duration.ofSeconds(10)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warmup");
  }
}
