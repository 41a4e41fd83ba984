package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The limiter's folded detector word follows each shipped detector, driven in virtual time: it
 * rises with any one of them and clears only when all have cleared, for the admit path (SHEDDABLE
 * refused with PROCESS_OVERLOADED while one reads SEVERE) and for the window closer (the window is
 * overloaded while one reads ELEVATED or above). A detector that does not tell its changes is
 * polled next to the fold.
 */
class LimiterDetectorFoldTest {
  private static final long MS = 1_000_000L;

  private final ManualClock limiterClock = new ManualClock();
  private final VirtualSleeper heartbeatTime = new VirtualSleeper();
  private final VirtualSleeper poolTime = new VirtualSleeper();
  private final PoolSaturationDetectorTest.FakeGauge gauge =
      new PoolSaturationDetectorTest.FakeGauge();
  /** Judges each wake-up alone: 20 ms late is ELEVATED, 40 ms SEVERE. */
  private final HeartbeatDetector heartbeat = HeartbeatDetector.newBuilder()
      .period(Duration.ofMillis(10)).window(Duration.ofMillis(10))
      .thresholds(Duration.ofMillis(20), Duration.ofMillis(40))
      .time(heartbeatTime.clock, heartbeatTime).build();
  /** Judges each reading alone: any queue is ELEVATED, one round SEVERE. */
  private final PoolSaturationDetector pool = PoolSaturationDetector.newBuilder(gauge)
      .period(Duration.ofMillis(10)).window(Duration.ofMillis(10))
      .time(poolTime.clock, poolTime).build();
  private final List<Boolean> overloadedWindows = new ArrayList<>();

  private Limiter limiter(OverloadDetector... detectors) {
    LimitAlgorithm recorder = new LimitAlgorithm() {
      @Override
      public int initialLimit() {
        return 10;
      }

      @Override
      public int minLimit() {
        return 1;
      }

      @Override
      public int maxLimit() {
        return 10;
      }

      @Override
      public int update(WindowStats window) {
        overloadedWindows.add(window.overloaded());
        return 10;
      }
    };
    VirtualSleeper.opened(heartbeat.sampler());
    VirtualSleeper.opened(pool.sampler());
    return Limiter.newBuilder().clock(limiterClock).algorithm(() -> recorder)
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1)
        .detectors(detectors).build();
  }

  /** Publishes one heartbeat reading late by {@code lateMillis}. */
  private void beat(long lateMillis) throws InterruptedException {
    heartbeatTime.late(Duration.ofMillis(lateMillis));
    assertThat(heartbeat.sampler().runOnce()).isTrue();
  }

  /** Publishes one pool reading of 4 busy workers and {@code waiting} queued. */
  private void poolReads(int waiting) throws InterruptedException {
    gauge.set(4, waiting);
    assertThat(pool.sampler().runOnce()).isTrue();
  }

  /** What the admit path and a window closed now make of the detectors: NONE, ELEVATED, SEVERE. */
  private OverloadLevel seen(Limiter limiter) {
    long sheddable = limiter.tryAcquire(1, Priority.SHEDDABLE);
    boolean shed = Ticket.isRejection(sheddable);
    if (shed) {
      assertThat(Ticket.reason(sheddable)).isEqualTo(RejectReason.PROCESS_OVERLOADED);
    } else {
      limiter.release(sheddable, Outcome.IGNORED);
    }
    long closer = limiter.tryAcquire();
    assertThat(Ticket.isPermit(closer)).isTrue();
    limiterClock.advanceNanos(150 * MS);
    int windows = overloadedWindows.size();
    limiter.release(closer, Outcome.SUCCESS);
    assertThat(overloadedWindows).as("a window closed").hasSize(windows + 1);
    boolean overloaded = overloadedWindows.get(windows);
    assertThat(shed && !overloaded).as("SEVERE flags the window too").isFalse();
    return shed ? OverloadLevel.SEVERE
        : overloaded ? OverloadLevel.ELEVATED : OverloadLevel.NONE;
  }

  @Test
  void theFoldRisesAndClearsWithEachDetector() throws InterruptedException {
    Limiter limiter = limiter(heartbeat, pool);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.NONE);

    beat(25);
    assertThat(seen(limiter)).as("heartbeat ELEVATED").isEqualTo(OverloadLevel.ELEVATED);
    beat(50);
    assertThat(seen(limiter)).as("heartbeat SEVERE").isEqualTo(OverloadLevel.SEVERE);
    beat(0);
    assertThat(seen(limiter)).as("heartbeat cleared").isEqualTo(OverloadLevel.NONE);

    poolReads(2);
    assertThat(seen(limiter)).as("pool ELEVATED").isEqualTo(OverloadLevel.ELEVATED);
    poolReads(8);
    assertThat(seen(limiter)).as("pool SEVERE").isEqualTo(OverloadLevel.SEVERE);
    poolReads(0);
    assertThat(seen(limiter)).as("pool cleared").isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void theWorstDetectorRulesUntilEveryOneHasCleared() throws InterruptedException {
    Limiter limiter = limiter(heartbeat, pool);
    beat(50);
    poolReads(2);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.SEVERE);
    beat(0);
    assertThat(seen(limiter)).as("the pool still ELEVATED").isEqualTo(OverloadLevel.ELEVATED);
    beat(50);
    poolReads(0);
    assertThat(seen(limiter)).as("the heartbeat still SEVERE").isEqualTo(OverloadLevel.SEVERE);
    beat(25);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.ELEVATED);
    beat(0);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void closingASevereDetectorClearsTheFold() throws InterruptedException {
    Limiter limiter = limiter(heartbeat, pool);
    poolReads(8);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.SEVERE);
    pool.close();
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void aDetectorChangedBeforeTheLimiterIsBuiltIsSeenAtOnce() throws InterruptedException {
    VirtualSleeper.opened(heartbeat.sampler());
    beat(50);
    Limiter limiter = limiter(heartbeat);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.SEVERE);
  }

  @Test
  void aDetectorThatDoesNotTellItsChangesIsPolledNextToTheFold() throws InterruptedException {
    PolledDetector polled = new PolledDetector();
    Limiter limiter = limiter(heartbeat, polled);
    assertThat(polled.watchCalls).as("the limiter asked it to tell").isEqualTo(1);
    polled.signal = new OverloadSignal(OverloadLevel.SEVERE, 1.5, 1.5, 0L);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.SEVERE);
    polled.signal = OverloadSignal.none(0L);
    beat(25);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.ELEVATED);
    beat(0);
    assertThat(seen(limiter)).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void aSharedDetectorDoesNotKeepTheLimitersItServedAlive() throws InterruptedException {
    WeakReference<Limiter> dropped = new WeakReference<>(limiter(heartbeat, pool));
    for (int i = 0; i < 50 && dropped.get() != null; i++) {
      System.gc();
      beat(i % 2 == 0 ? 50 : 0); // runs the watchers, which must not pin the limiter
    }
    assertThat(dropped.get()).as("the limiter, once dropped").isNull();
    Limiter kept = limiter(heartbeat);
    beat(50);
    assertThat(seen(kept)).isEqualTo(OverloadLevel.SEVERE);
  }

  /** A detector of the SPI's minimum: a volatile signal, no notice of its changes. */
  private static final class PolledDetector implements OverloadDetector {
    volatile OverloadSignal signal = OverloadSignal.none(0L);
    int watchCalls;

    @Override
    public String name() {
      return "polled";
    }

    @Override
    public OverloadSignal signal() {
      return signal;
    }

    @Override
    public boolean watch(Runnable onChange) {
      watchCalls++;
      return OverloadDetector.super.watch(onChange);
    }

    @Override
    public void start() {}

    @Override
    public void close() {}
  }
}
