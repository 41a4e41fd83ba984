package io.sluice.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Each algorithm as a pure function of window statistics: one step at a time, no clock, no threads. */
class AlgorithmTest {
  private static final long MS = 1_000_000L;

  @Test
  void fixedNeverMoves() {
    FixedLimit fixed = FixedLimit.of(7);
    assertThat(fixed.update(TestWindow.of(7).drops(50))).isEqualTo(7);
    assertThat(fixed.update(TestWindow.of(7).samples(100, MS))).isEqualTo(7);
    assertThat(fixed.minLimit()).isEqualTo(7);
    assertThat(fixed.maxLimit()).isEqualTo(7);
  }

  @Nested
  class Aimd {
    private final AimdLimit aimd = AimdLimit.newBuilder()
        .timeout(Duration.ofMillis(100)).latencyQuantile(0.9).maxLimit(1000).build();

    @Test
    void backsOffOnADrop() {
      assertThat(aimd.update(TestWindow.of(100).samples(99, 10 * MS).drops(1))).isEqualTo(90);
    }

    @Test
    void backsOffWhenTheQuantileSignificantlyExceedsTheTimeout() {
      // 100 samples, 10% expected above the p90: 30 above is far beyond chance.
      TestWindow slow = TestWindow.of(100).samples(70, 10 * MS).samples(30, 200 * MS);
      assertThat(aimd.update(slow)).isEqualTo(90);
    }

    @Test
    void ignoresTailNoiseWithinChance() {
      // 12 of 100 above the timeout where 10 are expected for a p90 objective: within two sigma.
      TestWindow noisy = TestWindow.of(100).samples(88, 10 * MS).samples(12, 200 * MS);
      assertThat(aimd.update(noisy)).isGreaterThan(100);
    }

    @Test
    void growsBySqrtAboveTheLastCongestionPointAndHalvesTheGapBelowIt() {
      assertThat(aimd.update(TestWindow.of(100).samples(50, MS))).isEqualTo(110);
      assertThat(aimd.update(TestWindow.of(110).drops(5))).isEqualTo(99);
      // Below the congestion point (110): half the gap, at least one.
      assertThat(aimd.update(TestWindow.of(99).samples(50, MS))).isEqualTo(105);
      assertThat(aimd.update(TestWindow.of(105).samples(50, MS))).isEqualTo(108);
      assertThat(aimd.update(TestWindow.of(108).samples(50, MS))).isEqualTo(109);
      assertThat(aimd.update(TestWindow.of(109).samples(50, MS))).isEqualTo(110);
      assertThat(aimd.update(TestWindow.of(110).samples(50, MS))).isEqualTo(120);
    }

    @Test
    void growsAtLowLoadWhileDemandReachesHalfTheLimitButNotBeyond() {
      assertThat(aimd.update(TestWindow.of(1).samples(3, MS).maxInFlight(1))).isEqualTo(2);
      assertThat(aimd.update(TestWindow.of(4).samples(3, MS).maxInFlight(2))).isEqualTo(6);
      assertThat(aimd.update(TestWindow.of(8).samples(3, MS).maxInFlight(2))).isEqualTo(8);
    }

    @Test
    void aWindowWithoutSamplesOrDropsChangesNothing() {
      assertThat(aimd.update(TestWindow.of(40))).isEqualTo(40);
    }

    /** Without a timeout the objective is 1.3x the measured no-load median (here 10 ms). */
    @Test
    void withoutATimeoutTheObjectiveComesFromTheMeasuredNoLoadLatency() {
      AimdLimit derived = AimdLimit.newBuilder().probeInterval(Duration.ofHours(1)).build();
      derived.update(TestWindow.of(20).samples(100, 10 * MS).maxInFlight(10));
      assertThat(derived.baselineRttNanos()).isEqualTo(10 * MS);
      // A median of 12 ms is within 1.3x: grow. 40 ms with the limit reached: back off.
      assertThat(derived.update(TestWindow.of(100).samples(100, 12 * MS))).isEqualTo(110);
      assertThat(derived.update(TestWindow.of(110).samples(100, 40 * MS))).isEqualTo(99);
    }

    @Test
    void staysWithinItsBounds() {
      AimdLimit bounded = AimdLimit.newBuilder().minLimit(5).initialLimit(5).maxLimit(6).build();
      assertThat(bounded.update(TestWindow.of(5).drops(10))).isEqualTo(5);
      assertThat(bounded.update(TestWindow.of(6).samples(10, MS))).isEqualTo(6);
    }
  }

  @Nested
  class Vegas {
    private final VegasLimit vegas = VegasLimit.newBuilder()
        .probeInterval(Duration.ofHours(1)).maxLimit(1000).build();

    /** Feeds windows at 10 ms median, 1000 completions per second: the baseline becomes 10 ms. */
    private void learnBaseline(int limit) {
      for (int i = 0; i < 3; i++) {
        vegas.update(TestWindow.of(limit).samples(100, 10 * MS));
      }
      assertThat(vegas.baselineRttNanos()).isEqualTo(10 * MS);
    }

    @Test
    void growsWhileThereIsNoQueue() {
      learnBaseline(40);
      assertThat(vegas.update(TestWindow.of(40).samples(100, 10 * MS))).isEqualTo(46);
    }

    @Test
    void removesTheEstimatedExcessQueueInOneStep() {
      learnBaseline(40);
      // 1000 completions/s with a median 30 ms above the baseline: by Little's law 30 queued.
      // The target queue is (3 + 6) / 2 = 4.5, so 25.5 of the 40 units are removed.
      TestWindow queued = TestWindow.of(40).samples(100, 40 * MS);
      assertThat(vegas.update(queued)).isEqualTo(20);
    }

    @Test
    void holdsInsideTheQueueBand() {
      learnBaseline(40);
      // 1000/s and 4 ms above the baseline: 4 queued, between alpha 3 and beta 6.
      assertThat(vegas.update(TestWindow.of(40).samples(100, 14 * MS))).isEqualTo(40);
    }

    /**
     * 2.8 queued (1000/s, 2.8 ms above the baseline) lies inside the band (2.5 to 5 requests for
     * the 10 served at once) but within the median's noise (0.8 requests) of its lower edge: the
     * limit holds. Growing there, as when the noise shifted the lower edge up too, held the limit
     * a noise's worth above the band: with 4 workers of 50 ms a whole request.
     */
    @Test
    void aQueueInsideTheBandButWithinTheNoiseOfItsLowerEdgeHoldsTheLimit() {
      learnBaseline(40);
      assertThat(vegas.update(TestWindow.of(40).samples(100, 12_800_000L))).isEqualTo(40);
    }

    /**
     * 1 queued, measurably (above the 0.7 requests of noise) but short of the band's middle, 4.1
     * (2.5 to 5 plus the noise): the limit grows by the 3 whole requests missing, as a queue above
     * the band is removed in one step, so that a limit that shrank with capacity returns with it.
     */
    @Test
    void aQueueShortOfTheBandGrowsTheLimitByTheRequestsMissingToItsMiddle() {
      learnBaseline(40);
      assertThat(vegas.update(TestWindow.of(40).samples(100, 11 * MS))).isEqualTo(43);
    }

    @Test
    void oneFastRequestDoesNotMoveTheBaseline() {
      learnBaseline(40);
      vegas.update(TestWindow.of(40).samples(99, 10 * MS).samples(1, 1_000));
      assertThat(vegas.baselineRttNanos()).isEqualTo(10 * MS);
      // Nor does a quiet window holding only that one fast sample.
      vegas.update(TestWindow.of(40).samples(1, 1_000).maxInFlight(1));
      assertThat(vegas.baselineRttNanos()).isEqualTo(10 * MS);
    }

    @Test
    void aWindowOfFastRequestsLowersTheBaselineByAtMostTenPercent() {
      learnBaseline(40);
      vegas.update(TestWindow.of(40).samples(100, 1_000));
      assertThat(vegas.baselineRttNanos()).isEqualTo(9 * MS);
    }

    @Test
    void dropsShrinkTheLimitEvenAtUnchangedLatency() {
      learnBaseline(40);
      assertThat(vegas.update(TestWindow.of(40).samples(90, 10 * MS).drops(10))).isEqualTo(36);
      // Everything timed out: the limit halves.
      assertThat(vegas.update(TestWindow.of(36).drops(100))).isEqualTo(18);
    }

    @Test
    void reMeasuresWithoutDrainingWhileTheLimitIsNotReached() {
      VegasLimit probing = VegasLimit.newBuilder()
          .probeInterval(Duration.ofSeconds(1)).probeJitter(0.0).build();
      // First probe after 1 s of windows (10 x 100 ms). Demand stayed below the limit, so the
      // limit holds no queue: the probe keeps it and measures the next window.
      int limit = 40;
      for (int i = 0; i < 10; i++) {
        limit = probing.update(TestWindow.of(limit).samples(100, 14 * MS).maxInFlight(10));
      }
      assertThat(limit).isEqualTo(40);
      assertThat(probing.update(TestWindow.of(40).samples(100, 11 * MS).maxInFlight(10)))
          .isEqualTo(40);
      assertThat(probing.baselineRttNanos()).isEqualTo(11 * MS);
    }

    /**
     * A re-measurement within three standard errors of the estimate (45 ms against 50, noise 5%)
     * is averaged into it, weighted by precision: one measurement's error no longer stays until a
     * probe happens to differ by three standard errors (a first estimate 20% low once held a limit
     * of 4 workers of 50 ms a request too low for 9 minutes).
     */
    @Test
    void aConsistentReMeasurementIsAveragedIntoTheBaseline() {
      VegasLimit probing = VegasLimit.newBuilder()
          .probeInterval(Duration.ofSeconds(1)).probeJitter(0.0).build();
      // The first estimate, then the first probe (due after 1 s of windows), which replaces it.
      for (int i = 0; i < 9; i++) {
        probing.update(spread(50 * MS));
      }
      assertThat(probing.baselineRttNanos()).isEqualTo(50 * MS);
      // The second probe falls due on the ninth window and measures the next one.
      probing.update(spread(45 * MS));
      assertThat(probing.baselineRttNanos()).isStrictlyBetween(46 * MS, 49 * MS);
    }

    /** 40 samples around {@code median} (a quarter 30% faster), below a limit never reached. */
    private TestWindow spread(long median) {
      return TestWindow.of(40).samples(10, median * 7 / 10).samples(30, median).maxInFlight(10)
          .duration(250 * MS);
    }

    /**
     * Four workers of 50 ms hold a limit of 12: 80 completions per second, a median of 100 ms
     * (50 ms of queue). Half the limit, 6, would still queue 2 behind the 4 workers; the probe
     * goes to three quarters of the work served without queueing, 80/s x 50 ms = 4, so 3.
     */
    @Test
    void reMeasuresBelowTheWorkTheResourceServesNotAtHalfTheLimit() {
      VegasLimit probing = VegasLimit.newBuilder()
          .probeInterval(Duration.ofSeconds(1)).probeJitter(0.0).build();
      // Three quarter-second windows, then the first probe falls due on the fourth.
      for (int i = 0; i < 3; i++) {
        probing.update(TestWindow.of(4).samples(20, 50 * MS).maxInFlight(3).duration(250 * MS));
      }
      assertThat(probing.baselineRttNanos()).isEqualTo(50 * MS);
      TestWindow queued = TestWindow.of(12).samples(20, 100 * MS).duration(250 * MS);
      queued.rejections = 20;
      assertThat(probing.update(queued)).isEqualTo(3);
    }

    /**
     * The same four workers at a limit of 8 with a queue of 4 (80/s, 50 ms above the baseline):
     * inside the default band of 3 to 6 requests, but a queue of 4 behind 4 workers doubles
     * latency. Where the resource serves few at once the band is a quarter to a half of what it
     * serves, at least 1.5 to 3: here 1.5 to 3, so the limit falls.
     */
    @Test
    void theQueueBandShrinksWhereTheResourceServesFewAtOnce() {
      vegas.update(TestWindow.of(4).samples(40, 50 * MS).maxInFlight(3).duration(500 * MS));
      assertThat(vegas.baselineRttNanos()).isEqualTo(50 * MS);
      TestWindow queued = TestWindow.of(8).samples(40, 100 * MS).duration(500 * MS);
      assertThat(vegas.update(queued)).isLessThan(8);
    }

    @Test
    void latencyWithoutAReachedLimitNeverShrinksIt() {
      learnBaseline(40);
      // Median four times the baseline, but in-flight work never reached the limit: whatever
      // slowed these requests, refusing more would not help.
      assertThat(vegas.update(TestWindow.of(40).samples(100, 40 * MS).maxInFlight(20)))
          .isEqualTo(40);
    }

    @Test
    void fewSampleWindowsAtLowTrafficArePooledBeforeSettingTheBaseline() {
      // One early window of 3 fast samples, then windows of 3 at the true 9 ms: the first estimate
      // pools them rather than taking the first window (nor their minimum).
      vegas.update(TestWindow.of(20).samples(3, 6 * MS).maxInFlight(2));
      for (int i = 0; i < 6; i++) {
        vegas.update(TestWindow.of(20).samples(3, 9 * MS).maxInFlight(2));
      }
      assertThat(vegas.baselineRttNanos()).isBetween(8 * MS, 9 * MS);
    }
  }

  @Nested
  class Gradient {
    private final GradientLimit gradient = GradientLimit.newBuilder()
        .probeInterval(Duration.ofHours(1)).tolerance(1.5).build();

    private void learnBaseline(int limit) {
      for (int i = 0; i < 3; i++) {
        gradient.update(TestWindow.of(limit).samples(100, 10 * MS));
      }
      assertThat(gradient.baselineRttNanos()).isEqualTo(10 * MS);
    }

    @Test
    void growsWithinToleranceAndShrinksByTheGradientBeyondIt() {
      learnBaseline(100);
      assertThat(gradient.update(TestWindow.of(100).samples(100, 14 * MS))).isEqualTo(110);
      // 1.5 * 10 / 18.8 = 0.80: the window's median, 20 ms, less two standard errors of its 3%
      // resolution (here all samples are equal).
      assertThat(gradient.update(TestWindow.of(100).samples(100, 20 * MS))).isEqualTo(80);
      // The gradient never cuts more than half per window.
      assertThat(gradient.update(TestWindow.of(100).samples(100, 100 * MS))).isEqualTo(50);
    }

    /**
     * Heavy-tailed service times (the quartiles lie 3.6x apart) with 40 samples: a median 1.8x the
     * baseline, beyond the tolerance of 1.5, is still within the noise of such a window, and must
     * not shrink the limit.
     */
    @Test
    void heavyTailNoiseDoesNotShrinkTheLimit() {
      learnBaseline(100);
      TestWindow noisy = TestWindow.of(100).samples(10, 5 * MS).samples(20, 18 * MS)
          .samples(10, 60 * MS);
      assertThat(gradient.update(noisy)).isGreaterThanOrEqualTo(100);
    }

    @Test
    void latencyWithoutAReachedLimitNeverShrinksIt() {
      learnBaseline(100);
      assertThat(gradient.update(TestWindow.of(100).samples(100, 40 * MS).maxInFlight(30)))
          .isEqualTo(100);
    }

    @Test
    void allRequestsTimingOutAtTheSameLatencyDriveTheLimitDown() {
      learnBaseline(100);
      int limit = 100;
      for (int i = 0; i < 5; i++) {
        // Every request ends at the 1 s timeout, so short-term latency equals itself each window.
        int next = gradient.update(TestWindow.of(limit).drops(200));
        assertThat(next).isLessThan(limit);
        limit = next;
      }
      assertThat(limit).isLessThanOrEqualTo(4);
    }
  }
}
