package io.sluice.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.detector.OverloadDetector;
import io.sluice.detector.OverloadLevel;
import io.sluice.detector.OverloadSignal;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The simulator cell of the overload detectors: the shared backend at 1.5x its capacity stalls
 * for 2 s at 10 s (it serves nothing; arrivals go on), once guarded by a limiter alone and once by
 * the same limiter reading a heartbeat detector driven by the simulation's virtual clock.
 */
@Tag("simulation")
class StallDetectorSimulationTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long STALL_AT = 10 * SECOND;
  private static final long STALL = 2 * SECOND;
  private static final long STALL_END = STALL_AT + STALL;

  /*
   * A heartbeat in virtual time, as HeartbeatDetector measures (50 ms period, 1 s window, 100 ms /
   * 500 ms thresholds): its thread is frozen with the process, so every wake-up due in the stall
   * happens when the stall ends, late by up to the stall's length; it publishes that lag then and
   * keeps it for one window. signal() derives the reading from the clock (the simulation runs one
   * thread; a real detector publishes from its own).
   */
  static final class VirtualHeartbeat implements OverloadDetector {
    private static final long PERIOD = 50_000_000L;
    private final NanoClock clock;
    private final long window;
    private final OverloadSignal late;

    VirtualHeartbeat(NanoClock clock, long window) {
      this.clock = clock;
      this.window = window;
      long firstDue = (STALL_AT + PERIOD - 1) / PERIOD * PERIOD;
      double lagSeconds = (STALL_END - firstDue) / 1e9;
      this.late = new OverloadSignal(lagSeconds >= 0.5 ? OverloadLevel.SEVERE
          : lagSeconds >= 0.1 ? OverloadLevel.ELEVATED : OverloadLevel.NONE,
          lagSeconds / 0.5, lagSeconds, STALL_END);
    }

    @Override
    public String name() {
      return "heartbeat";
    }

    @Override
    public OverloadSignal signal() {
      long now = clock.nanoTime();
      return now >= STALL_END && now < STALL_END + window ? late : OverloadSignal.none(now);
    }

    @Override
    public void start() {}

    @Override
    public void close() {}
  }

  /** Runs the cell; {@code window} is the heartbeat's window, 0 for a limiter without it. */
  private static SimulationResult run(Scenarios.Algorithm algorithm, long window) {
    LimiterFactory factory = (clock, listener) -> {
      var builder = Limiter.newBuilder().clock(clock).listener(listener)
          .algorithm(algorithm.supplier);
      if (window > 0) {
        builder.detector(new VirtualHeartbeat(clock, window));
      }
      return builder.build();
    };
    return Scenarios.backend(factory, 1.5)
        .warmup(Duration.ZERO).duration(Duration.ofSeconds(20))
        .stallAt(Duration.ofNanos(STALL_AT), Duration.ofNanos(STALL))
        .build().run();
  }

  /** The first 100 ms bucket after the stall from which goodput stays at 90% of its level before. */
  private static long settleNanos(SimulationResult r) {
    double before = r.goodputPerSecondBetween(5 * SECOND, STALL_AT);
    long settled = -1;
    for (long t = STALL_END; t < 20 * SECOND; t += Simulation.BUCKET_NANOS) {
      boolean good = r.goodputPerSecondBetween(t, t + Simulation.BUCKET_NANOS) >= 0.9 * before;
      if (good && settled < 0) {
        settled = t;
      } else if (!good) {
        settled = -1;
      }
    }
    return settled < 0 ? Long.MAX_VALUE : settled - STALL_END;
  }

  /**
   * What docs/14-overload-detectors.md claims. A heartbeat sees a stall that freezes the process
   * only when the stall ends, and reports it for one window after: so it cannot shorten the stall
   * (no request completes during it, and requests here are all CRITICAL), and the windows closed
   * in that second back off while the backend is healthy again. Without the detector the limiter
   * is back to its goodput within 300 ms of the stall's end; with the default 1 s window it takes
   * 1 to 2 s and the 3 s after the stall lose 5 to 30% of their goodput; with a 250 ms window it
   * settles within 300 ms and loses under 2%.
   */
  @ParameterizedTest
  @EnumSource(Scenarios.Algorithm.class)
  void aOneOffStallAnnouncedByTheHeartbeatDelaysSettlingByAboutItsWindow(
      Scenarios.Algorithm algorithm) {
    SimulationResult without = run(algorithm, 0);
    SimulationResult defaultWindow = run(algorithm, SECOND);
    SimulationResult shortWindow = run(algorithm, SECOND / 4);
    long after = STALL_END + 3 * SECOND;
    double goodWithout = without.goodputPerSecondBetween(STALL_END, after);
    double goodWith = defaultWindow.goodputPerSecondBetween(STALL_END, after);
    System.out.printf("%s: settled %d ms after the stall without the detector, %d ms with a 1 s "
            + "window, %d ms with 250 ms; goodput in the 3 s after it %.0f/s, %.0f/s, %.0f/s%n",
        algorithm, settleNanos(without) / 1_000_000, settleNanos(defaultWindow) / 1_000_000,
        settleNanos(shortWindow) / 1_000_000, goodWithout, goodWith,
        shortWindow.goodputPerSecondBetween(STALL_END, after));

    assertThat(without.goodputPerSecondBetween(STALL_AT + Simulation.BUCKET_NANOS, STALL_END))
        .as("the backend serves nothing during the stall").isZero();
    assertThat(settleNanos(without)).isLessThanOrEqualTo(300_000_000L);
    assertThat(settleNanos(defaultWindow)).isBetween(SECOND, 2 * SECOND);
    assertThat(goodWith).isBetween(0.7 * goodWithout, 0.95 * goodWithout);
    assertThat(settleNanos(shortWindow)).isLessThanOrEqualTo(300_000_000L);
    assertThat(shortWindow.goodputPerSecondBetween(STALL_END, after))
        .isGreaterThan(0.98 * goodWithout);
  }
}
