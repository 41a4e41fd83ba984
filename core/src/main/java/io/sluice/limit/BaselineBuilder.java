package io.sluice.limit;

import io.sluice.internal.Args;
import java.time.Duration;

/**
 * The settings of algorithms that compare latency with a no-load baseline: how often the baseline
 * is re-measured, how much that moment is jittered, and the seed of the jitter.
 *
 * @param <B> the concrete builder, returned by every setter
 */
abstract class BaselineBuilder<B extends BaselineBuilder<B>> extends AdaptiveBuilder<B> {
  long probeIntervalNanos = Duration.ofSeconds(30).toNanos();
  double probeJitter = 0.2;
  long seed = 0x5EED;
  /** Whether the baseline averages consistent re-measurements into its estimate (Vegas). */
  boolean averagesReMeasurements;

  BaselineBuilder() {}

  /** Sets how often the no-load round-trip time is re-measured, in [1 s, 1 day]; default 30 s. */
  public B probeInterval(Duration interval) {
    this.probeIntervalNanos =
        Args.nanosInRange("probeInterval", interval, Duration.ofSeconds(1), Duration.ofDays(1));
    return self();
  }

  /** Sets the relative jitter of the probe interval, in [0, 0.5]; default 0.2. */
  public B probeJitter(double jitter) {
    this.probeJitter = Args.inRange("probeJitter", jitter, 0.0, 0.5);
    return self();
  }

  /** Sets the seed of the probe jitter, so that runs are reproducible; default 0x5EED. */
  public B seed(long seed) {
    this.seed = seed;
    return self();
  }

  RttBaseline newBaseline() {
    return new RttBaseline(probeIntervalNanos, probeJitter, seed, averagesReMeasurements);
  }
}
