package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The heartbeat in virtual time: the sleeper makes chosen wake-ups late. */
class HeartbeatDetectorTest {
  private final VirtualSleeper time = new VirtualSleeper();

  /** Defaults: 50 ms period, 1 s window (20 wake-ups), 100 ms / 500 ms. */
  private Sampler heartbeat() {
    return VirtualSleeper.opened(
        HeartbeatDetector.newBuilder().time(time.clock, time).build().sampler());
  }

  @Test
  void wakeUpsOnTimeReadNone() throws InterruptedException {
    OverloadSignal signal = VirtualSleeper.run(heartbeat(), 100);

    assertThat(signal.level()).isEqualTo(OverloadLevel.NONE);
    assertThat(signal.value()).isZero();
  }

  @Test
  void aLateWakeUpIsTheLagInSecondsAgainstTheThresholds() throws InterruptedException {
    Sampler sampler = heartbeat();
    VirtualSleeper.run(sampler, 5);

    time.late(Duration.ofMillis(99));
    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.NONE);

    time.late(Duration.ofMillis(150));
    OverloadSignal elevated = VirtualSleeper.run(sampler, 1);
    assertThat(elevated.level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(elevated.value()).isCloseTo(0.150, within(1e-9));
    assertThat(elevated.pressure()).isCloseTo(0.3, within(1e-9));

    time.late(Duration.ofMillis(600));
    OverloadSignal severe = VirtualSleeper.run(sampler, 1);
    assertThat(severe.level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(severe.value()).isCloseTo(0.600, within(1e-9));
  }

  @Test
  void oneStallStaysVisibleForOneWindowThenClears() throws InterruptedException {
    Sampler sampler = heartbeat();
    VirtualSleeper.run(sampler, 3);
    time.late(Duration.ofMillis(700));

    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(VirtualSleeper.run(sampler, 19).level())
        .as("the 20th wake-up since the stall still holds it").isEqualTo(OverloadLevel.SEVERE);
    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void aStarvedCpuMakesEveryWakeUpALittleLate() throws InterruptedException {
    Sampler sampler = heartbeat();
    for (int i = 0; i < 40; i++) {
      time.late(Duration.ofMillis(80 + i % 3 * 20));
    }

    OverloadSignal signal = VirtualSleeper.run(sampler, 40);

    assertThat(signal.level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(signal.value()).isCloseTo(0.120, within(1e-9));
  }

  @Test
  void thresholdsAndWindowAreSettable() throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(HeartbeatDetector.newBuilder()
        .period(Duration.ofMillis(10)).window(Duration.ofMillis(30))
        .thresholds(Duration.ofMillis(20), Duration.ofMillis(40))
        .time(time.clock, time).build().sampler());

    time.late(Duration.ofMillis(25));
    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(VirtualSleeper.run(sampler, 2).level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(VirtualSleeper.run(sampler, 1).level())
        .as("3 wake-ups later").isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void configurationErrorsNameTheParameterAndTheRange() {
    HeartbeatDetector.Builder b = HeartbeatDetector.newBuilder();

    assertThatThrownBy(() -> b.thresholds(Duration.ofMillis(200), Duration.ofMillis(100)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("severe must be in [PT0.2S, PT1H] but was PT0.1S");
    assertThatThrownBy(() -> b.thresholds(Duration.ZERO, Duration.ofMillis(100)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("elevated must be in [PT0.001S, PT1H] but was PT0S");
    assertThatThrownBy(() -> b.period(Duration.ofMinutes(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("period must be in [PT0.001S, PT1M] but was PT2M");
    assertThatThrownBy(() -> b.name(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank but was \" \"");
    assertThatThrownBy(() -> b.period(Duration.ofSeconds(2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window must be in [PT2S, 10000 periods of PT2S] but was PT1S");
  }

  @Test
  void itIsNamedHeartbeatUnlessNamedOtherwise() {
    assertThat(HeartbeatDetector.newBuilder().build().name()).isEqualTo("heartbeat");
    assertThat(HeartbeatDetector.newBuilder().name("hb-2").build().name()).isEqualTo("hb-2");
  }
}
