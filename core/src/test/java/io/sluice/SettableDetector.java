package io.sluice;

import io.sluice.detector.OverloadDetector;
import io.sluice.detector.OverloadLevel;
import io.sluice.detector.OverloadSignal;

/** An overload detector whose level the test sets; thread-safe (one volatile field). */
public final class SettableDetector implements OverloadDetector {
  private final String name;
  private volatile OverloadSignal signal = OverloadSignal.none(0L);

  /** Creates a detector named {@code name} that reads NONE. */
  public SettableDetector(String name) {
    this.name = name;
  }

  /** Makes the detector read {@code level}, with a pressure that matches it. */
  public void set(OverloadLevel level) {
    double pressure =
        level == OverloadLevel.SEVERE ? 1.5 : level == OverloadLevel.ELEVATED ? 0.5 : 0.0;
    signal = new OverloadSignal(level, pressure, pressure, 0L);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public OverloadSignal signal() {
    return signal;
  }

  @Override
  public void start() {}

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "SettableDetector[" + name + "]";
  }
}
