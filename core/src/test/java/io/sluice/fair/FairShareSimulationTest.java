package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.Limiter;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.VegasLimit;
import io.sluice.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The gate in virtual time (see {@link FairWorld}): a flood against tenants within their share,
 * with a fixed and with an adaptive limit; weighted tenants; tenants coming and going while long
 * streams hold the capacity; heavy-tailed costs. The limit is 1000 units, shared by ten tenants
 * (a share of 100 each); service times average 100 ms.
 */
@Tag("simulation")
class FairShareSimulationTest {
  private static final int LIMIT = 1000;
  private static final int TENANTS = 10;
  private static final double SHARE = (double) LIMIT / TENANTS;
  private static final double SERVICE = 0.1;
  private static final double WARMUP = 10;
  private static final double END = 40;

  /** Tenant 0 sends 20 times its share; tenants 1-9 send 80% of theirs. */
  private static FairWorld flood(ManualClock clock, double capacity, FairWorld.Costs costs,
      double meanCost, long seed) {
    FairWorld world = new FairWorld(clock, capacity, seed);
    world.stream(new FairWorld.Stream(0, 20 * SHARE / SERVICE / meanCost, costs, SERVICE, 0,
        Double.MAX_VALUE));
    for (int t = 1; t < TENANTS; t++) {
      world.stream(new FairWorld.Stream(t, 0.8 * SHARE / SERVICE / meanCost, costs, SERVICE, 0,
          Double.MAX_VALUE));
    }
    return world;
  }

  private static Limiter fixed(ManualClock clock) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(LIMIT)).build();
  }

  private static Limiter vegas(ManualClock clock) {
    return Limiter.newBuilder().clock(clock)
        .algorithm(VegasLimit.newBuilder().initialLimit(LIMIT).maxLimit(4 * LIMIT))
        .build();
  }

  private static FairShare<Integer> gate(Limiter limiter, ManualClock clock) {
    return FairShare.newBuilder(limiter).clock(clock).build();
  }

  /** Prints a run's figures, which docs/13-fairness.md quotes. */
  private static void report(String scenario, FairWorld.Result result) {
    double light = 1;
    for (int t = 1; t < TENANTS; t++) {
      light = Math.min(light, result.satisfaction(t));
    }
    System.out.printf("%s: tenant 0 served %.1f units, tenants 1-9 at least %.1f%% of their "
        + "demand, goodput %.1f%n", scenario, result.served(0), 100 * light, result.goodput());
  }

  private static double lightServed(FairWorld.Result result) {
    double sum = 0;
    for (int t = 1; t < TENANTS; t++) {
      sum += result.served(t);
    }
    return sum;
  }

  private static void assertLightTenantsServed(FairWorld.Result result, double atLeast) {
    for (int t = 1; t < TENANTS; t++) {
      assertThat(result.satisfaction(t)).as("tenant %d's demand served%n%s", t, result)
          .isGreaterThanOrEqualTo(atLeast);
    }
  }

  @Test
  void underAFixedLimitTheFloodGetsWhatTheOthersLeaveLessTheReserve() {
    ManualClock bareClock = new ManualClock();
    Limiter bare = fixed(bareClock);
    FairWorld.Result unfair = flood(bareClock, Double.MAX_VALUE, r -> 1, 1, 42)
        .run(c -> FairWorld.through(bare), WARMUP, END);
    ManualClock clock = new ManualClock();
    Limiter limiter = fixed(clock);
    FairWorld.Result fair = flood(clock, Double.MAX_VALUE, r -> 1, 1, 42)
        .run(c -> FairWorld.through(gate(limiter, c)), WARMUP, END);
    report("fixed limit, no gate", unfair);
    report("fixed limit, gate", fair);

    // Without the gate, every tenant gets the same small fraction of what it asks for.
    for (int t = 1; t < TENANTS; t++) {
      assertThat(unfair.satisfaction(t)).as("%s", unfair).isLessThan(0.5);
    }
    assertLightTenantsServed(fair, 0.95);
    // The flood gets the rest, but for the reserve it leaves idle (0.05 of the limit), and 1%.
    double rest = LIMIT - lightServed(fair);
    assertThat(fair.served(0)).as("%s", fair).isGreaterThan(rest - 0.05 * LIMIT - 0.01 * LIMIT);
    assertThat(fair.goodput()).isGreaterThan(0.93 * unfair.goodput());
  }

  @Test
  void underAnAdaptiveLimitTheReserveCostsNoGoodput() {
    ManualClock bareClock = new ManualClock();
    Limiter bare = vegas(bareClock);
    FairWorld.Result unfair = flood(bareClock, LIMIT, r -> 1, 1, 7).fixedServiceTimes()
        .run(c -> FairWorld.through(bare), WARMUP, END);
    ManualClock clock = new ManualClock();
    Limiter limiter = vegas(clock);
    FairWorld.Result fair = flood(clock, LIMIT, r -> 1, 1, 7).fixedServiceTimes()
        .run(c -> FairWorld.through(gate(limiter, c)), WARMUP, END);
    report("Vegas, no gate, final limit " + bare.limit(), unfair);
    report("Vegas, gate, final limit " + limiter.limit(), fair);

    assertThat(unfair.goodput()).as("%s", unfair).isGreaterThan(0.95 * LIMIT);
    assertLightTenantsServed(fair, 0.95);
    assertThat(fair.goodput()).as("%s", fair).isGreaterThan(0.98 * unfair.goodput());
    assertThat(fair.served(0)).isGreaterThan(0.9 * (LIMIT - lightServed(fair)));
  }

  @Test
  void moreReserveServesLightTenantsBetterAndIdlesMoreOfAFixedLimit() {
    double[] reserves = {0.02, 0.05, 0.1};
    for (int limit : new int[] {100, LIMIT}) {
      double[] light = new double[reserves.length];
      double[] goodput = new double[reserves.length];
      for (int i = 0; i < reserves.length; i++) {
        double reserve = reserves[i];
        ManualClock clock = new ManualClock();
        Limiter limiter =
            Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
        FairWorld world = new FairWorld(clock, Double.MAX_VALUE, 13);
        world.steady(0, 20 * limit / TENANTS, SERVICE);
        for (int t = 1; t < TENANTS; t++) {
          world.steady(t, 0.8 * limit / TENANTS, SERVICE);
        }
        FairWorld.Result result = world.run(c -> FairWorld.through(
            FairShare.newBuilder(limiter).reserve(reserve).clock(c).<Integer>build()),
            WARMUP, END);
        light[i] = 1;
        for (int t = 1; t < TENANTS; t++) {
          light[i] = Math.min(light[i], result.satisfaction(t));
        }
        goodput[i] = result.goodput() / limit;
        System.out.printf("limit %d, reserve %.2f: tenants 1-9 at least %.1f%% of their demand, "
            + "goodput %.3f of the limit%n", limit, reserve, 100 * light[i], goodput[i]);
      }
      for (int i = 1; i < reserves.length; i++) {
        assertThat(light[i]).as("limit %d", limit).isGreaterThan(light[i - 1] - 0.005);
        assertThat(goodput[i]).as("limit %d", limit).isLessThan(goodput[i - 1]);
      }
      // Tens of units free at once suffice for unit requests: a small fraction of a large limit.
      assertThat(light[limit == LIMIT ? 0 : 2]).as("limit %d", limit).isGreaterThan(0.94);
    }
  }

  @Test
  void weightedTenantsShareInProportionToTheirWeights() {
    ManualClock clock = new ManualClock();
    Limiter limiter = fixed(clock);
    int[] weights = {1, 2, 3, 4};
    FairWorld world = new FairWorld(clock, Double.MAX_VALUE, 3);
    for (int t = 0; t < weights.length; t++) {
      world.steady(t, 20 * SHARE * weights[t], SERVICE);
    }
    world.steady(4, 0.5 * SHARE, SERVICE);

    FairWorld.Result result = world.run(c -> FairWorld.through(FairShare.newBuilder(limiter)
        .clock(c).<Integer>weights(t -> t < weights.length ? weights[t] : 1).build()),
        WARMUP, END);

    System.out.printf("weighted: %s%n", result);
    double perWeight = result.served(0);
    for (int t = 1; t < weights.length; t++) {
      assertThat(result.served(t) / weights[t]).as("%s", result)
          .isCloseTo(perWeight, within(0.05 * perWeight));
    }
    assertThat(result.satisfaction(4)).as("%s", result).isGreaterThan(0.95);
  }

  @Test
  void tenantsComingAndGoingGetTheirSharesWithinOneStreamLength() {
    ManualClock clock = new ManualClock();
    Limiter limiter = fixed(clock);
    FairShare<Integer> gate = gate(limiter, clock);
    double stream = 30;
    // Each tenant asks for twice the limit in 30 s streams: 0 from the start, 1 from 60 s to
    // 180 s, 2 from 120 s on.
    double rate = 2.0 * LIMIT / stream;
    FairWorld world = new FairWorld(clock, Double.MAX_VALUE, 11).fixedServiceTimes()
        .stream(new FairWorld.Stream(0, rate, r -> 1, stream, 0, Double.MAX_VALUE))
        .stream(new FairWorld.Stream(1, rate, r -> 1, stream, 60, 180))
        .stream(new FairWorld.Stream(2, rate, r -> 1, stream, 120, Double.MAX_VALUE));
    List<String> failures = new ArrayList<>();
    world.at(55, () -> {
      // Alone, tenant 0 borrows everyone's share.
      expect(failures, "t=55 tenant 0", gate.held(0), LIMIT, 0.01);
    }).at(91, () -> {
      // One stream length after tenant 1 arrived, the capacity is split in two.
      expect(failures, "t=91 tenant 0", gate.held(0), LIMIT / 2.0, 0.05);
      expect(failures, "t=91 tenant 1", gate.held(1), LIMIT / 2.0, 0.05);
    }).at(175, () -> {
      for (int t = 0; t < 3; t++) {
        expect(failures, "t=175 tenant " + t, gate.held(t), LIMIT / 3.0, 0.05);
      }
    }).at(215, () -> {
      // Tenant 1 left at 180 s and its last streams ended at 210 s: its share is lent out again.
      expect(failures, "t=215 tenant 0", gate.held(0), LIMIT / 2.0, 0.05);
      expect(failures, "t=215 tenant 2", gate.held(2), LIMIT / 2.0, 0.05);
      expect(failures, "t=215 tenant 1", gate.held(1), 0, 0);
    });

    world.run(c -> FairWorld.through(gate), 0, 240);

    assertThat(failures).isEmpty();
    assertThat(limiter.inFlight()).isZero();
    assertThat(gate.activeWeight()).isZero();
  }

  private static void expect(List<String> failures, String what, double actual, double expected,
      double tolerance) {
    if (Math.abs(actual - expected) > tolerance * LIMIT) {
      failures.add(what + " held " + actual + ", expected " + expected + " +- "
          + tolerance * LIMIT);
    }
  }

  @Test
  void heavyTailedCostsCountInTheShare() {
    FairWorld.Costs costs = FairWorld.pareto(1.5, LIMIT / 10);
    double mean = FairWorld.mean(costs);
    ManualClock bareClock = new ManualClock();
    Limiter bare = fixed(bareClock);
    FairWorld.Result unfair = flood(bareClock, Double.MAX_VALUE, costs, mean, 5).retries(3)
        .run(c -> FairWorld.through(bare), WARMUP, END);
    ManualClock openClock = new ManualClock();
    Limiter openLimiter = fixed(openClock);
    FairWorld.Result open = flood(openClock, Double.MAX_VALUE, costs, mean, 5)
        .run(c -> FairWorld.through(gate(openLimiter, c)), WARMUP, END);
    ManualClock clock = new ManualClock();
    Limiter limiter = fixed(clock);
    FairWorld.Result retrying = flood(clock, Double.MAX_VALUE, costs, mean, 5).retries(3)
        .run(c -> FairWorld.through(gate(limiter, c)), WARMUP, END);
    report("heavy tails, retries, no gate", unfair);
    report("heavy tails, no retries, gate", open);
    report("heavy tails, retries, gate", retrying);

    for (int t = 1; t < TENANTS; t++) {
      assertThat(unfair.satisfaction(t)).as("%s", unfair).isLessThan(0.5);
    }
    // A request of 100 units needs 100 free at once: without a queue, some are refused when
    // they first arrive; clients that come back after their Retry-After find the room claimed.
    assertLightTenantsServed(open, 0.85);
    assertLightTenantsServed(retrying, 0.95);
    assertThat(retrying.served(0)).as("%s", retrying)
        .isGreaterThan(0.5 * (LIMIT - lightServed(retrying)));
  }
}
