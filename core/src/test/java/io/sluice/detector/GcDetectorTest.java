package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The GC detector in virtual time over a fake pause counter; which source the JVM gets. */
class GcDetectorTest {
  private final VirtualSleeper time = new VirtualSleeper();

  /** A pause counter that the test moves, and that records its lifecycle. */
  static final class FakePauses implements GcPauses {
    final AtomicLong total = new AtomicLong();
    final AtomicInteger closed = new AtomicInteger();

    void pause(Duration pause) {
      total.addAndGet(pause.toNanos());
    }

    @Override
    public long totalPauseNanos() {
      return total.get();
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  private final FakePauses pauses = new FakePauses();
  private final AtomicInteger created = new AtomicInteger();

  /** Defaults: 100 ms period, 1 s window (10 periods), 0.1 / 0.3. */
  private GcDetector detector() {
    return GcDetector.newBuilder().time(time.clock, time).source(() -> {
      created.incrementAndGet();
      return pauses;
    }).build();
  }

  @Test
  void thePausedShareOfTheWindowIsJudgedAgainstTheThresholds() throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(detector().sampler());
    VirtualSleeper.run(sampler, 10);

    pauses.pause(Duration.ofMillis(50));
    OverloadSignal calm = VirtualSleeper.run(sampler, 1);
    assertThat(calm.level()).isEqualTo(OverloadLevel.NONE);
    assertThat(calm.value()).isCloseTo(0.05, within(1e-9));

    pauses.pause(Duration.ofMillis(100));
    OverloadSignal elevated = VirtualSleeper.run(sampler, 1);
    assertThat(elevated.level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(elevated.value()).isCloseTo(0.15, within(1e-9));
    assertThat(elevated.pressure()).isCloseTo(0.5, within(1e-9));

    pauses.pause(Duration.ofMillis(200));
    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.SEVERE);
  }

  @Test
  void aPauseCountsForOneWindowThenLeavesIt() throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(detector().sampler());
    VirtualSleeper.run(sampler, 10);
    pauses.pause(Duration.ofMillis(400));

    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(VirtualSleeper.run(sampler, 9).level()).isEqualTo(OverloadLevel.SEVERE);
    OverloadSignal after = VirtualSleeper.run(sampler, 1);
    assertThat(after.level()).isEqualTo(OverloadLevel.NONE);
    assertThat(after.value()).isZero();
  }

  @Test
  void frequentShortPausesAddUp() throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(detector().sampler());
    for (int i = 0; i < 20; i++) {
      pauses.pause(Duration.ofMillis(15));
      VirtualSleeper.run(sampler, 1);
    }

    OverloadSignal signal = sampler.signal();
    assertThat(signal.level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(signal.value()).isCloseTo(0.15, within(1e-9));
  }

  @Test
  void aPauseLongerThanTheWindowIsMeasuredOverTheTimeTheWindowReallySpans()
      throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(detector().sampler());
    VirtualSleeper.run(sampler, 3);
    pauses.pause(Duration.ofSeconds(3));
    // The sampling thread was stopped too: it wakes 3 s late, when the pause is reported. The
    // window's four readings now span 0.3 s + 3.1 s.
    time.late(Duration.ofSeconds(3));

    OverloadSignal signal = VirtualSleeper.run(sampler, 1);

    assertThat(signal.level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(signal.value()).isCloseTo(3.0 / 3.4, within(1e-9));
  }

  @Test
  void theShareNeverReadsAboveOne() throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(detector().sampler());
    VirtualSleeper.run(sampler, 10);
    // More pause reported than time passed: a collector that counts more than its pauses.
    pauses.pause(Duration.ofSeconds(3));

    assertThat(VirtualSleeper.run(sampler, 1).value()).isEqualTo(1.0);
  }

  @Test
  void theSourceIsCreatedAtStartAndClosedWithTheDetector() {
    GcDetector detector = detector();
    assertThat(created).hasValue(0);

    detector.sampler().open();
    detector.close();
    detector.close();

    assertThat(created).hasValue(1);
    assertThat(pauses.closed).hasValue(1);
  }

  @Test
  void thisJvmGetsNotificationsAndTheFallbackPollsTheBeans() {
    assertThat(JdkManagement.present()).as("jdk.management is in a full JDK").isTrue();
    try (GcPauses notified = GcPauses.platform(); GcPauses polled = GcPauses.platform(false)) {
      assertThat(notified).isInstanceOf(NotifiedGcPauses.class);
      assertThat(polled).isInstanceOf(GcPauses.Polled.class);
      assertThat(notified.totalPauseNanos()).isNotNegative();
      assertThat(polled.totalPauseNanos()).isNotNegative();
    }
  }

  @Test
  void concurrentCyclesAreNotPauses() {
    assertThat(GcPauses.isPause("G1 Young Generation", "end of minor GC")).isTrue();
    assertThat(GcPauses.isPause("G1 Old Generation", "end of major GC")).isTrue();
    assertThat(GcPauses.isPause("ZGC Pauses", "end of GC pause")).isTrue();
    assertThat(GcPauses.isPause("Shenandoah Pauses", null)).isTrue();
    assertThat(GcPauses.isPause("ZGC Cycles", "end of GC cycle")).isFalse();
    assertThat(GcPauses.isPause("Shenandoah Cycles", null)).isFalse();
    assertThat(GcPauses.isPause("Some GC", "end of GC cycle")).isFalse();
  }

  @Test
  void configurationErrorsNameTheParameterAndTheRange() {
    assertThatThrownBy(() -> GcDetector.newBuilder().thresholds(0.0, 0.3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("elevated must be in (0.0, 1.0] but was 0.0");
    assertThatThrownBy(() -> GcDetector.newBuilder().thresholds(0.5, 0.3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("severe must be in [0.5, 1.0] but was 0.3");
    assertThat(GcDetector.newBuilder().build().name()).isEqualTo("gc");
  }
}
