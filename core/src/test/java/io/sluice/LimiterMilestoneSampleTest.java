package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.internal.LogLinearBuckets;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Milestone samples: a permit records its latency sample at a milestone (first token, first byte)
 * and stays held; its release records none.
 */
class LimiterMilestoneSampleTest {
  private final ManualClock clock = new ManualClock();

  /** Records each window's samples, drops and median RTT. */
  static final class Recording implements LimitAlgorithm {
    final List<String> windows = new ArrayList<>();
    final List<Long> samples = new ArrayList<>();

    @Override
    public int initialLimit() {
      return 100_000;
    }

    @Override
    public int minLimit() {
      return 1;
    }

    @Override
    public int maxLimit() {
      return 100_000;
    }

    @Override
    public int update(WindowStats window) {
      samples.add(window.sampleCount());
      windows.add(window.sampleCount() + "s/" + window.drops() + "d/p50 "
          + Duration.ofNanos(window.rttNanos(0.5)).toMillis() + "ms");
      return window.limit();
    }
  }

  private WindowedLimiter limiter(LimitAlgorithm algorithm, int minSamples) {
    return (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(() -> algorithm)
        .window(Duration.ofMillis(100), Duration.ofSeconds(10), minSamples)
        .build();
  }

  @Test
  void theMilestoneIsThePermitsSampleAndItsLaterReleaseRecordsNone() {
    Recording algorithm = new Recording();
    WindowedLimiter limiter = limiter(algorithm, 3);
    clock.advance(Duration.ofMillis(150));
    long[] streams = new long[3];
    for (int i = 0; i < streams.length; i++) {
      streams[i] = limiter.tryAcquire();
    }
    clock.advance(Duration.ofMillis(5));
    for (long stream : streams) {
      assertThat(limiter.sample(stream)).isTrue();
    }
    // The third milestone filled the window: it closed on 5 ms samples, the streams still held.
    assertThat(algorithm.windows).containsExactly("3s/0d/p50 5ms");
    assertThat(limiter.inFlight()).isEqualTo(3);

    clock.advance(Duration.ofSeconds(60));
    for (long stream : streams) {
      assertThat(limiter.release(stream, Outcome.SUCCESS)).isTrue();
    }
    long quick = limiter.tryAcquire();
    clock.advance(Duration.ofMillis(150));
    limiter.release(quick, Outcome.DROPPED);
    // The next window holds the drop and no 60 s sample.
    assertThat(algorithm.windows).containsExactly("3s/0d/p50 5ms", "0s/1d/p50 0ms");
    long[] buckets = new long[LogLinearBuckets.BUCKETS];
    assertThat(limiter.rtt().copyInto(buckets)).isEqualTo(Duration.ofMillis(15).toNanos());
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aPermitIsSampledAtMostOnceAndOnlyWhileHeld() {
    WindowedLimiter limiter = limiter(FixedLimit.of(4), 1);
    long permit = limiter.tryAcquire();
    assertThat(limiter.sample(permit)).isTrue();
    // A second milestone is refused but not counted: callers may mark it on every chunk.
    assertThat(limiter.sample(permit)).isFalse();
    assertThat(limiter.snapshot().invalidSamples()).isZero();

    long rejection = Ticket.rejection(RejectReason.LIMIT_REACHED, 0);
    assertThat(limiter.sample(rejection)).isFalse();
    assertThat(limiter.sample(permit + 1)).isFalse();
    assertThat(limiter.sample(permit ^ 1L << 40)).isFalse();
    assertThat(limiter.sample(Long.MAX_VALUE)).isFalse();
    assertThat(limiter.snapshot().invalidSamples()).isEqualTo(4);

    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.sample(permit)).isFalse();
    assertThat(limiter.snapshot().invalidSamples()).isEqualTo(5);
    assertThat(limiter.snapshot().invalidReleases()).isZero();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aDroppedReleaseAfterItsMilestoneStillSignalsADrop() {
    Recording algorithm = new Recording();
    WindowedLimiter limiter = limiter(algorithm, 2);
    long stream = limiter.tryAcquire();
    clock.advance(Duration.ofMillis(20));
    assertThat(limiter.sample(stream)).isTrue();
    clock.advance(Duration.ofMillis(200));
    assertThat(limiter.release(stream, Outcome.DROPPED)).isTrue();

    assertThat(algorithm.windows).containsExactly("1s/1d/p50 20ms");
    assertThat(limiter.drops()).isEqualTo(1);
  }

  @Test
  void atHighTrafficOnlyThePermitsTheSamplerPickedAreTimedAtTheirMilestone() {
    Recording algorithm = new Recording();
    WindowedLimiter limiter = limiter(algorithm, 1);
    // A busy window: 64 Ki completions make the next windows time one permit in 64.
    for (int i = 0; i < 64 * WindowedLimiter.TARGET_SAMPLES; i++) {
      limiter.release(limiter.tryAcquire(), Outcome.SUCCESS);
    }
    clock.advance(Duration.ofMillis(150));
    limiter.release(limiter.tryAcquire(), Outcome.DROPPED);
    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(1);

    int streams = 64 * 200;
    long[] permits = new long[streams];
    for (int i = 0; i < streams; i++) {
      permits[i] = limiter.tryAcquire();
      assertThat(limiter.sample(permits[i])).isTrue();
    }
    clock.advance(Duration.ofMillis(150));
    for (long permit : permits) {
      assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    }
    limiter.release(limiter.tryAcquire(), Outcome.DROPPED);

    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(2);
    // About 200 of the 12800 milestones were timed: the sampler's rate, not one per milestone.
    assertThat(algorithm.samples.get(1)).isBetween(100L, 300L);
  }
}
