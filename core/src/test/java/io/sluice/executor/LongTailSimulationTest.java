package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.limit.FixedLimit;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Long-tail work, in virtual time, through the real executor over a simulated pool of 32 workers
 * with a limit of 32 units. Short requests (10 ms mean, exponential, cost 1) arrive at 285/s; 5% of
 * all traffic, 15/s, is long (1 s mean: 100x, cost 2, its predicted class). Long work alone asks for
 * 30 of the 32 units. Short requests carry a 500 ms deadline, long ones 10 s. Three runs per seed:
 * short traffic alone (the reference p99), short and long in one class (the control), and short
 * and long with the long class held to 75% of the limit. With the long class, short requests keep
 * the reference p99 and all succeed; in one class, long tasks fill the units and the short
 * requests behind them in the queue time out.
 */
@Tag("simulation")
class LongTailSimulationTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;
  private static final int UNITS = 32;
  private static final int SHORT = 0;
  private static final int LONG = 1;

  static VirtualWorld.Stats run(UnaryOperator<AdmissionExecutor.Builder> config,
      double longPerSecond, long seed) {
    VirtualWorld world = new VirtualWorld();
    AdmissionExecutor executor = config.apply(AdmissionExecutor.newBuilder(world.new Pool(UNITS))
            .clock(world.clock)
            .limiter(Limiter.newBuilder().clock(world.clock).algorithm(FixedLimit.of(UNITS)).build()))
        .build();
    VirtualWorld.Stats stats = new VirtualWorld.Stats(2, 500 * MS, 0, Long.MAX_VALUE);
    long end = 60 * SECOND;
    SplittableRandom random = new SplittableRandom(seed);
    world.poisson(executor, SHORT,
        TaskOptions.of(Priority.CRITICAL).withTimeout(Duration.ofMillis(500)),
        now -> 285, end, random.split(), r -> VirtualWorld.exponential(r, 10 * MS), stats);
    if (longPerSecond > 0) {
      world.poisson(executor, LONG,
          TaskOptions.of(Priority.CRITICAL).withCost(2).withTimeout(Duration.ofSeconds(10)),
          now -> longPerSecond, end, random.split(),
          r -> VirtualWorld.exponential(r, 1000 * MS), stats);
    }
    world.runUntil(end + 30 * SECOND);
    assertThat(executor.limiter().inFlight()).as("every permit released").isZero();
    return stats;
  }

  private static String describe(String name, VirtualWorld.Stats s) {
    return String.format("%s: short p50 %.1f ms, p99 %.1f ms, success %.4f; long completed %d of %d",
        name, s.latencyMillis(SHORT, 0.5), s.latencyMillis(SHORT, 0.99), s.successRate(SHORT),
        s.latency[LONG].getTotalCount(), s.arrivals[LONG]);
  }

  @Test
  void shortRequestsKeepTheirP99WhenFivePercentOfTrafficIsHundredTimesLonger() {
    for (long seed : new long[] {42, 7}) {
      VirtualWorld.Stats alone = run(b -> b, 0, seed);
      VirtualWorld.Stats unprotected = run(b -> b, 15, seed);
      VirtualWorld.Stats protectedRun = run(b -> b.longTasks(2, 0.75), 15, seed);
      System.out.println(describe("seed " + seed + " short only", alone));
      System.out.println(describe("seed " + seed + " with long, one class", unprotected));
      System.out.println(describe("seed " + seed + " with long, long class <= 75%", protectedRun));

      assertThat(protectedRun.latencyMillis(SHORT, 0.99))
          .as("short p99 with long tasks kept to their share, seed %d", seed)
          .isLessThanOrEqualTo(1.1 * alone.latencyMillis(SHORT, 0.99));
      assertThat(protectedRun.successRate(SHORT)).isGreaterThanOrEqualTo(0.999);
      assertThat(protectedRun.latency[LONG].getTotalCount()).as("long work still runs")
          .isGreaterThan(0);
      assertThat(unprotected.successRate(SHORT))
          .as("the control: without the long class, long work crowds short work out")
          .isLessThan(protectedRun.successRate(SHORT));
    }
  }
}
