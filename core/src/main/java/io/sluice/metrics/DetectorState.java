package io.sluice.metrics;

import io.sluice.detector.OverloadLevel;
import io.sluice.detector.OverloadSignal;
import io.sluice.internal.Args;
import java.util.List;

/**
 * One overload detector's reading, by name, as a snapshot or a health status shows it. Immutable.
 *
 * @param name the detector's name ("heartbeat", "gc", ...)
 * @param signal its latest reading
 */
public record DetectorState(String name, OverloadSignal signal) {

  /** Checks that neither component is null. */
  public DetectorState {
    Args.notNull("name", name);
    Args.notNull("signal", signal);
  }

  /** Returns the reading's level. */
  public OverloadLevel level() {
    return signal.level();
  }

  /** Returns the worst level among {@code states}: NONE when there are none. */
  static OverloadLevel worst(List<DetectorState> states) {
    OverloadLevel worst = OverloadLevel.NONE;
    for (DetectorState state : states) {
      if (state.level().compareTo(worst) > 0) {
        worst = state.level();
      }
    }
    return worst;
  }
}
