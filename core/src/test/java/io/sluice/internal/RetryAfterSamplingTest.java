package io.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.NanoClock;
import io.sluice.testing.ManualClock;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The reject path's clock sampling follows time: every refusal reads the clock when refusals are
 * sparse, one in 64 in a flood, and the readings stay about one per sampling interval in between.
 */
class RetryAfterSamplingTest {
  private static final long MS = 1_000_000L;
  private static final int LIMIT = 8;

  private final ManualClock clock = new ManualClock(1_000 * MS);
  private long reads;
  private final NanoClock counting = () -> {
    reads++;
    return clock.nanoTime();
  };
  /** Every permit held, nothing ever released: a stall. */
  private final RetryAfterEstimator.Source stalled = new RetryAfterEstimator.Source() {
    @Override
    public int completions() {
      return 7;
    }

    @Override
    public int limit() {
      return LIMIT;
    }

    @Override
    public int inFlight() {
      return LIMIT;
    }

    @Override
    public RetryAfterEstimator retryAfterEstimator() {
      throw new UnsupportedOperationException();
    }
  };
  private final RetryAfterEstimator estimator =
      new RetryAfterEstimator(stalled, counting, 10 * MS, 60_000 * MS, 0.0);
  private final SplittableRandom random = new SplittableRandom(42);

  @Test
  void aFloodOfRefusalsWidensTheMaskToItsCapAndSparseRefusalsNarrowItToEveryRefusal() {
    // 10^8 refusals a second: one every 10 ns.
    for (int i = 0; i < 200_000; i++) {
      clock.advanceNanos(10);
      estimator.advertise(7, random.nextLong());
    }
    assertThat(estimator.samplingMask()).isEqualTo(RetryAfterEstimator.MAX_SAMPLING_MASK);
    long before = reads;
    for (int i = 0; i < 640_000; i++) {
      clock.advanceNanos(10);
      estimator.advertise(7, random.nextLong());
    }
    assertThat(reads - before).as("clock readings of 640,000 refusals in a flood")
        .isBetween(8_000L, 12_000L);

    // Then one refusal every 5 ms (200 a second): the first reading the mask chooses narrows it
    // to every refusal.
    for (int i = 0; i < 500; i++) {
      clock.advanceNanos(5 * MS);
      estimator.advertise(7, random.nextLong());
    }
    assertThat(estimator.samplingMask()).isZero();
    before = reads;
    for (int i = 0; i < 100; i++) {
      clock.advanceNanos(5 * MS);
      estimator.advertise(7, random.nextLong());
    }
    assertThat(reads - before).isEqualTo(100);
  }

  @Test
  void atAnyRefusalRateTheClockIsReadAboutOncePerSamplingInterval() {
    // 2,000 refusals a second (one every 500 us), a second long: about one reading per 1 to 2 ms,
    // where one refusal in 64 would read the clock 31 times.
    for (int i = 0; i < 2_000; i++) {
      clock.advanceNanos(500_000);
      estimator.advertise(7, random.nextLong());
    }
    long before = reads;
    for (int i = 0; i < 2_000; i++) {
      clock.advanceNanos(500_000);
      estimator.advertise(7, random.nextLong());
    }
    assertThat(reads - before).as("clock readings in one second").isBetween(400L, 1_200L);
    // At 200,000 refusals a second (one every 5 us) the mask is at its cap: one in 64 reads.
    for (int i = 0; i < 200_000; i++) {
      clock.advanceNanos(5_000);
      estimator.advertise(7, random.nextLong());
    }
    before = reads;
    for (int i = 0; i < 200_000; i++) {
      clock.advanceNanos(5_000);
      estimator.advertise(7, random.nextLong());
    }
    assertThat(reads - before).as("clock readings in one second").isBetween(3_000L, 3_300L);
  }
}
