package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Priority;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.VegasLimit;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A 12x spike of SHEDDABLE traffic on top of steady CRITICAL traffic, in virtual time, through the
 * real executor over a simulated pool of 16 workers (10 ms mean exponential service: capacity 1600
 * requests/s). CRITICAL arrives at 800/s (half of capacity) throughout 30 s; SHEDDABLE at 400/s,
 * and 4800/s from 10 s to 20 s (offered load 3.5x capacity). Every request carries a 500 ms
 * deadline (its client's timeout) and succeeds if it completes within it. Goodput is successes per
 * second during the spike, as a fraction of capacity.
 */
@Tag("simulation")
class PrioritySpikeSimulationTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;
  private static final int WORKERS = 16;
  private static final double MEAN_SERVICE_NANOS = 10 * MS;
  private static final double CAPACITY = WORKERS * SECOND / MEAN_SERVICE_NANOS;
  private static final long SPIKE_FROM = 10 * SECOND;
  private static final long SPIKE_TO = 20 * SECOND;
  private static final long TIMEOUT = 500 * MS;
  private static final int CRITICAL = 0;
  private static final int SHEDDABLE = 1;
  private static final long[] SEEDS = {42, 7, 2024};

  static VirtualWorld.Stats run(Function<NanoClock, Limiter> limiter, Priority sheddable, long seed) {
    VirtualWorld world = new VirtualWorld();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(world.new Pool(WORKERS))
        .clock(world.clock)
        .limiter(limiter.apply(world.clock))
        .build();
    VirtualWorld.Stats stats = new VirtualWorld.Stats(2, TIMEOUT, SPIKE_FROM, SPIKE_TO);
    long end = 30 * SECOND;
    Duration timeout = Duration.ofNanos(TIMEOUT);
    SplittableRandom random = new SplittableRandom(seed);
    world.poisson(executor, CRITICAL, TaskOptions.of(Priority.CRITICAL).withTimeout(timeout),
        now -> 0.5 * CAPACITY, end, random.split(),
        r -> VirtualWorld.exponential(r, MEAN_SERVICE_NANOS), stats);
    world.poisson(executor, SHEDDABLE, TaskOptions.of(sheddable).withTimeout(timeout),
        now -> (now >= SPIKE_FROM && now < SPIKE_TO ? 12 : 1) * 0.25 * CAPACITY, end,
        random.split(), r -> VirtualWorld.exponential(r, MEAN_SERVICE_NANOS), stats);
    world.runUntil(end + 10 * SECOND); // let the last requests finish
    assertThat(executor.limiter().inFlight()).as("every permit released").isZero();
    assertThat(executor.queued()).isZero();
    return stats;
  }

  private static double spikeGoodput(VirtualWorld.Stats s) {
    return s.succeededInWindow / ((SPIKE_TO - SPIKE_FROM) / (double) SECOND) / CAPACITY;
  }

  private static String describe(VirtualWorld.Stats s) {
    return String.format("critical success %.4f (%d/%d), sheddable success %.4f (%d/%d),"
            + " goodput during spike %.3f of capacity, critical p99 %.1f ms", s.successRate(CRITICAL),
        s.succeeded[CRITICAL], s.arrivals[CRITICAL], s.successRate(SHEDDABLE),
        s.succeeded[SHEDDABLE], s.arrivals[SHEDDABLE], spikeGoodput(s),
        s.latencyMillis(CRITICAL, 0.99));
  }

  private static void assertCriticalKeptAndGoodputNearCapacity(Function<NanoClock, Limiter> l,
      String name) {
    for (long seed : SEEDS) {
      VirtualWorld.Stats s = run(l, Priority.SHEDDABLE, seed);
      System.out.println(name + " seed " + seed + ": " + describe(s));
      assertThat(s.successRate(CRITICAL)).as("critical success, seed %d", seed)
          .isGreaterThanOrEqualTo(0.994);
      assertThat(spikeGoodput(s)).as("goodput during the spike, seed %d", seed)
          .isGreaterThanOrEqualTo(0.9);
    }
  }

  @Test
  void criticalWorkKeepsFlowingThroughASheddableSpikeWithAFixedLimit() {
    assertCriticalKeptAndGoodputNearCapacity(
        clock -> Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(WORKERS)).build(),
        "fixed limit 16");
  }

  @Test
  void criticalWorkKeepsFlowingThroughASheddableSpikeWithAnAdaptiveLimit() {
    assertCriticalKeptAndGoodputNearCapacity(
        clock -> Limiter.newBuilder().clock(clock)
            .algorithm(VegasLimit.newBuilder().initialLimit(WORKERS).maxLimit(200))
            .build(),
        "vegas");
  }

  /** The control: the same spike with both streams at one level loses critical work. */
  @Test
  void withoutPrioritiesTheSpikeTakesCriticalWorkDownWithIt() {
    VirtualWorld.Stats s = run(
        clock -> Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(WORKERS)).build(),
        Priority.CRITICAL, SEEDS[0]);
    System.out.println("one level: " + describe(s));
    assertThat(s.successRate(CRITICAL)).isLessThan(0.9);
  }
}
