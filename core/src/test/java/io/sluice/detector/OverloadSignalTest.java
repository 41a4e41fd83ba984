package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The verdict of two thresholds, and what a signal accepts. */
class OverloadSignalTest {

  @Test
  void levelsChangeAtTheThresholdsThemselves() {
    Thresholds t = new Thresholds(0.1, 0.3);

    assertThat(t.judge(0.0999, 7).level()).isEqualTo(OverloadLevel.NONE);
    assertThat(t.judge(0.1, 7).level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(t.judge(0.2999, 7).level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(t.judge(0.3, 7).level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(t.judge(0.9, 7).level()).isEqualTo(OverloadLevel.SEVERE);
  }

  @Test
  void pressureIsTheValueOverTheSevereThreshold() {
    OverloadSignal signal = new Thresholds(0.1, 0.4).judge(0.2, 42);

    assertThat(signal.pressure()).isEqualTo(0.5);
    assertThat(signal.value()).isEqualTo(0.2);
    assertThat(signal.atNanos()).isEqualTo(42);
  }

  @Test
  void anElevatedThresholdOfZeroMeansAnyValueAboveZero() {
    Thresholds t = new Thresholds(0.0, 1.0);

    assertThat(t.judge(0.0, 0).level()).isEqualTo(OverloadLevel.NONE);
    assertThat(t.judge(0.01, 0).level()).isEqualTo(OverloadLevel.ELEVATED);
  }

  @Test
  void aSignalRefusesWhatIsNotAFigure() {
    assertThatThrownBy(() -> new OverloadSignal(null, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("level must not be null");
    assertThatThrownBy(() -> new OverloadSignal(OverloadLevel.NONE, Double.NaN, 0, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("pressure must be in");
    assertThatThrownBy(() -> new OverloadSignal(OverloadLevel.NONE, 0, -1, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("value must be in");
    assertThat(OverloadSignal.none(5)).isEqualTo(new OverloadSignal(OverloadLevel.NONE, 0, 0, 5));
  }
}
