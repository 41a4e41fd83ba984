package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The overload rules, driven by a manual clock: no sleeps, every interval scripted. */
class OverloadMonitorTest {
  private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

  private final ManualClock clock = new ManualClock();

  /** An adaptive algorithm (min 2, max 100) whose next limit the test sets. */
  static final class SettableLimit implements LimitAlgorithm {
    volatile int next = 10;

    @Override
    public int initialLimit() {
      return next;
    }

    @Override
    public int minLimit() {
      return 2;
    }

    @Override
    public int maxLimit() {
      return 100;
    }

    @Override
    public int update(WindowStats window) {
      return next;
    }
  }

  /** Admits {@code admitted} requests (released at once) and has {@code rejected} refused. */
  private static void traffic(Limiter limiter, int admitted, int rejected) {
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < admitted; i++) {
      long p = limiter.tryAcquire();
      assertThat(Ticket.isPermit(p)).isTrue();
      limiter.release(p, Outcome.SUCCESS);
    }
    while (held.size() < limiter.limit()) {
      held.add(limiter.tryAcquire());
    }
    for (int i = 0; i < rejected; i++) {
      assertThat(Ticket.isRejection(limiter.tryAcquire())).isTrue();
    }
    for (long p : held) {
      limiter.release(p, Outcome.IGNORED);
    }
  }

  private Limiter fixed(int limit) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
  }

  @Test
  void rejectionsAboveTheThresholdForTheSustainedPeriodMakeItOverloaded() {
    Limiter limiter = fixed(10);
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock).build();
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OK);

    // 29 intervals of 10 s at 9% refused (10 of the 100 + 10 held requests per interval).
    for (int i = 1; i <= 29; i++) {
      traffic(limiter, 100, 10);
      clock.advance(TEN_SECONDS);
      OverloadStatus s = monitor.evaluate();
      assertThat(s.state()).as("interval %d", i).isEqualTo(OverloadState.DEGRADED);
      assertThat(s.rejectingForNanos()).isEqualTo(i * TEN_SECONDS.toNanos());
    }
    traffic(limiter, 100, 10);
    clock.advance(TEN_SECONDS);
    OverloadStatus overloaded = monitor.evaluate();
    assertThat(overloaded.state()).isEqualTo(OverloadState.OVERLOADED);
    assertThat(overloaded.requests()).isEqualTo(120);
    assertThat(overloaded.rejected()).isEqualTo(10);
    assertThat(overloaded.rejectionRatio()).isEqualTo(10.0 / 120);
    assertThat(overloaded.rejectingForNanos()).isEqualTo(Duration.ofMinutes(5).toNanos());
    assertThat(overloaded.intervalNanos()).isEqualTo(TEN_SECONDS.toNanos());

    // One calm interval ends the streak.
    traffic(limiter, 100, 0);
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate()).satisfies(s -> {
      assertThat(s.state()).isEqualTo(OverloadState.OK);
      assertThat(s.rejectingForNanos()).isZero();
    });
  }

  @Test
  void aRatioAtTheThresholdOrTooFewRequestsDoNotCount() {
    Limiter limiter = fixed(10);
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock)
        .rejectionRatio(0.05, Duration.ZERO).minRequests(50).build();
    traffic(limiter, 180, 10);            // 10 of 200: exactly 5%, not above
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OK);
    traffic(limiter, 20, 10);             // 10 of 40: 25%, but under 50 requests
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OK);
    traffic(limiter, 40, 11);             // 11 of 61, sustain 0: overloaded at once
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OVERLOADED);
  }

  @Test
  void anIntervalEndsOnlyWhenDueAndALateEvaluationJudgesTheWholeGap() {
    Limiter limiter = fixed(10);
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock).build();
    traffic(limiter, 100, 50);
    clock.advance(Duration.ofSeconds(9));
    assertThat(monitor.evaluate().state()).as("not due yet").isEqualTo(OverloadState.OK);
    clock.advance(Duration.ofMinutes(5));
    OverloadStatus s = monitor.evaluate();
    assertThat(s.state()).isEqualTo(OverloadState.OVERLOADED);
    assertThat(s.intervalNanos()).isEqualTo(Duration.ofSeconds(309).toNanos());
    assertThat(monitor.status()).isSameAs(s);
  }

  @Test
  void aLimitPinnedAtItsMinimumForAMinuteMakesItOverloaded() {
    SettableLimit algorithm = new SettableLimit();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(() -> algorithm)
        .window(Duration.ofMillis(100), Duration.ofMillis(100), 1).build();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock).build();
    algorithm.next = 2;
    clock.advance(Duration.ofSeconds(1));
    long p = limiter.tryAcquire();
    limiter.release(p, Outcome.DROPPED); // closes a window: the limit becomes 2, the minimum
    assertThat(limiter.limit()).isEqualTo(2);

    for (int i = 0; i < 6; i++) {
      clock.advance(TEN_SECONDS);
      OverloadStatus s = monitor.evaluate();
      assertThat(s.state()).as("after %d s at the minimum", i * 10).isEqualTo(OverloadState.DEGRADED);
      assertThat(s.atMinimumForNanos()).isEqualTo(i * TEN_SECONDS.toNanos());
      assertThat(s.limit()).isEqualTo(2);
      assertThat(s.minLimit()).isEqualTo(2);
    }
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OVERLOADED);

    algorithm.next = 3;
    clock.advance(Duration.ofSeconds(1));
    limiter.release(limiter.tryAcquire(), Outcome.DROPPED);
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OK);
  }

  @Test
  void anExecutorCountsRefusedAndShedTasksAgainstAdmittedOnes() {
    Limiter limiter = fixed(1);
    List<Runnable> parked = new ArrayList<>();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(parked::add).clock(clock)
        .limiter(limiter).queueCapacity(1).build();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(executor).clock(clock)
        .rejectionRatio(0.5, Duration.ZERO).minRequests(3).build();
    executor.submit(() -> "admitted", TaskOptions.defaults());
    executor.submit(() -> "queued", TaskOptions.defaults());
    for (int i = 0; i < 3; i++) {
      try {
        executor.submit(() -> "refused", TaskOptions.defaults());
      } catch (RuntimeException expected) {
        // QUEUE_FULL
      }
    }
    clock.advance(TEN_SECONDS);
    OverloadStatus s = monitor.evaluate();
    assertThat(s.requests()).isEqualTo(4);   // 1 admitted + 3 refused; the queued one is neither
    assertThat(s.rejected()).isEqualTo(3);
    assertThat(s.state()).isEqualTo(OverloadState.OVERLOADED);
    executor.shutdownNow();
  }

  @Test
  void randomSettingsAreAcceptedInRangeAndRefusedWithTheirNameOutside() {
    SplittableRandom random = new SplittableRandom(61);
    double[] ratios = {Double.NaN, -0.1, -0.0, 0.0, 0.05, 0.999, 1.0, 2.0};
    for (int trial = 0; trial < 2_000; trial++) {
      double threshold = random.nextBoolean() ? ratios[random.nextInt(ratios.length)]
          : random.nextDouble(-0.5, 1.5);
      Duration sustain = Duration.ofMillis(random.nextLong(-1_000, 2 * 86_400_000L));
      Duration interval = Duration.ofMillis(random.nextLong(-10, 4_000_000));
      long minRequests = random.nextLong(-5, 2_000_000_000L);
      OverloadMonitor.Builder b = OverloadMonitor.newBuilder(fixed(1)).clock(clock);
      boolean valid = threshold >= 0 && threshold < 1 && !sustain.isNegative()
          && sustain.compareTo(Duration.ofDays(1)) <= 0 && interval.toMillis() >= 1
          && interval.compareTo(Duration.ofHours(1)) <= 0 && minRequests >= 1
          && minRequests <= 1_000_000_000L;
      try {
        b.rejectionRatio(threshold, sustain).interval(interval).minRequests(minRequests)
            .limitAtMinimum(sustain).build();
        assertThat(valid).as("accepted %s %s %s %s", threshold, sustain, interval, minRequests)
            .isTrue();
      } catch (IllegalArgumentException e) {
        assertThat(valid).as("refused: %s", e.getMessage()).isFalse();
        assertThat(e.getMessage()).matches(
            "(rejectionRatio threshold|rejectionRatio sustain|interval|minRequests) must be in .* but was .*");
      }
    }
  }

  @Test
  void settingsAreCheckedWithTheirRanges() {
    OverloadMonitor.Builder b = OverloadMonitor.newBuilder(fixed(1));
    assertThatThrownBy(() -> b.rejectionRatio(1.0, TEN_SECONDS))
        .hasMessage("rejectionRatio threshold must be in [0.0, 1.0) but was 1.0");
    assertThatThrownBy(() -> b.rejectionRatio(0.1, Duration.ofDays(2)))
        .hasMessageStartingWith("rejectionRatio sustain must be in [PT0S, PT24H]");
    assertThatThrownBy(() -> b.interval(Duration.ZERO))
        .hasMessageStartingWith("interval must be in [PT0.001S, PT1H]");
    assertThatThrownBy(() -> b.minRequests(0)).hasMessage(
        "minRequests must be in [1, 1000000000] but was 0");
    assertThatThrownBy(() -> b.limitAtMinimum(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aDetectorAboveNoneMakesTheStatusDegradedAndTheStatusCarriesItsReading() {
    io.sluice.SettableDetector heartbeat = new io.sluice.SettableDetector("heartbeat");
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(10))
        .detector(heartbeat).build();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock).build();
    clock.advance(TEN_SECONDS);
    OverloadStatus calm = monitor.evaluate();
    assertThat(calm.state()).isEqualTo(OverloadState.OK);
    assertThat(calm.detectors()).extracting(DetectorState::name).containsExactly("heartbeat");
    assertThat(calm.overload()).isEqualTo(io.sluice.detector.OverloadLevel.NONE);

    heartbeat.set(io.sluice.detector.OverloadLevel.ELEVATED);
    clock.advance(TEN_SECONDS);
    OverloadStatus elevated = monitor.evaluate();
    assertThat(elevated.state()).isEqualTo(OverloadState.DEGRADED);
    assertThat(elevated.overload()).isEqualTo(io.sluice.detector.OverloadLevel.ELEVATED);

    heartbeat.set(io.sluice.detector.OverloadLevel.NONE);
    clock.advance(TEN_SECONDS);
    assertThat(monitor.evaluate().state()).isEqualTo(OverloadState.OK);
  }
}
