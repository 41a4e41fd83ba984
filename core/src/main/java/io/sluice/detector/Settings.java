package io.sluice.detector;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.time.Duration;

/**
 * What every detector builder sets: name, sampling period, window, and the time source. Checks
 * each value as it is set; {@link #slots()} checks the window against the period. Not thread-safe.
 */
final class Settings {
  static final Duration MIN_PERIOD = Duration.ofMillis(1);
  static final Duration MAX_PERIOD = Duration.ofMinutes(1);
  static final Duration MAX_WINDOW = Duration.ofHours(1);

  String name;
  Duration period;
  Duration window;
  NanoClock clock = NanoClock.system();
  Sleeper sleeper = Sleeper.system();

  Settings(String name, Duration period, Duration window) {
    this.name = name;
    this.period = period;
    this.window = window;
  }

  void name(String name) {
    Args.notNull("name", name);
    if (name.isBlank()) {
      throw new IllegalArgumentException("name must not be blank but was \"" + name + "\"");
    }
    this.name = name;
  }

  void period(Duration period) {
    Args.nanosInRange("period", period, MIN_PERIOD, MAX_PERIOD);
    this.period = period;
  }

  void window(Duration window) {
    Args.nanosInRange("window", window, MIN_PERIOD, MAX_WINDOW);
    this.window = window;
  }

  void time(NanoClock clock, Sleeper sleeper) {
    this.clock = Args.notNull("clock", clock);
    this.sleeper = Args.notNull("sleeper", sleeper);
  }

  /** Returns the samples in a window; throws unless {@code period <= window <= 10000 periods}. */
  int slots() {
    return Sampler.slots(period, window);
  }

  Sampler sampler(Sampler.Probe probe) {
    return new Sampler(name, clock, sleeper, period.toNanos(), probe);
  }
}
