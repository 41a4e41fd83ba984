package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Single-threaded behaviour of the limiter, driven by a manual clock. */
class LimiterTest {
  private final ManualClock clock = new ManualClock();

  /** An algorithm that returns whatever limit the test scripts, and records what it saw. */
  static final class ScriptedLimit implements LimitAlgorithm {
    final List<String> windows = new ArrayList<>();
    final int max;
    int next;

    ScriptedLimit(int initial, int max) {
      this.next = initial;
      this.max = max;
    }

    @Override
    public int initialLimit() {
      return next;
    }

    @Override
    public int minLimit() {
      return 1;
    }

    @Override
    public int maxLimit() {
      return max;
    }

    @Override
    public int update(WindowStats window) {
      windows.add(window.completions() + "c/" + window.drops() + "d/" + window.rejections() + "r/"
          + window.sampleCount() + "s/max" + window.maxInFlight());
      return next;
    }
  }

  private Limiter limiter(LimitAlgorithm algorithm) {
    return Limiter.newBuilder()
        .clock(clock)
        .algorithm(() -> algorithm)
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 5)
        .build();
  }

  @Test
  void admitsUpToTheLimitThenRejectsWithReasonAndRetryAfter() {
    Limiter limiter = limiter(FixedLimit.of(3));
    long a = limiter.tryAcquire();
    long b = limiter.tryAcquire();
    long c = limiter.tryAcquire();
    long d = limiter.tryAcquire();

    assertThat(Ticket.isPermit(a) && Ticket.isPermit(b) && Ticket.isPermit(c)).isTrue();
    assertThat(Ticket.isRejection(d)).isTrue();
    assertThat(Ticket.reason(d)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(Ticket.retryAfterNanos(d)).isBetween(
        Duration.ofMillis(10).toNanos(), Duration.ofMillis(15).toNanos());
    assertThat(limiter.inFlight()).isEqualTo(3);
    assertThat(limiter.snapshot().rejected()).isEqualTo(1);
  }

  @Test
  void releaseFreesRoomAndASecondReleaseIsACountedNoOp() {
    Limiter limiter = limiter(FixedLimit.of(1));
    long permit = limiter.tryAcquire();

    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.release(permit, Outcome.DROPPED)).isFalse();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isEqualTo(2);

    long next = limiter.tryAcquire();
    assertThat(Ticket.isPermit(next)).isTrue();
    // The old ticket names the same slot but an older generation: it must not free the new permit.
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(1);
  }

  @Test
  void rejectionsAndForeignTicketsCannotBeReleased() {
    Limiter limiter = limiter(FixedLimit.of(1));
    long permit = limiter.tryAcquire();
    long rejection = limiter.tryAcquire();

    assertThat(limiter.release(rejection, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.release(Long.MAX_VALUE, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.release(permit + 1, Outcome.SUCCESS)).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(1);
    assertThat(limiter.snapshot().invalidReleases()).isEqualTo(3);
    assertThatThrownBy(() -> limiter.release(permit, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outcome");
  }

  @Test
  void aTicketOfAnotherLimiterReleasesNothing() {
    for (int i = 0; i < 100; i++) {
      Limiter a = limiter(FixedLimit.of(4));
      Limiter b = limiter(FixedLimit.of(4));
      long fromA = a.tryAcquire();
      b.tryAcquire();
      // Both limiters issued their first permit from the same state: same slot, not same ticket.
      assertThat(b.release(fromA, Outcome.SUCCESS)).isFalse();
      assertThat(b.inFlight()).isEqualTo(1);
      assertThat(a.release(fromA, Outcome.SUCCESS)).isTrue();
    }
  }

  @Test
  void corruptedTicketsFreeNoOtherCallersPermit() {
    SplittableRandom random = new SplittableRandom(17);
    for (int held : new int[] {64, 1000}) {
      Limiter limiter = limiter(FixedLimit.of(held));
      long[] permits = new long[held];
      for (int i = 0; i < held; i++) {
        permits[i] = limiter.tryAcquire();
        assertThat(Ticket.isPermit(permits[i])).isTrue();
      }
      long attempts = 0;
      for (long permit : permits) {
        // Neighbouring values (a slot or a generation off by a little), then every single bit
        // flip, then random multi-bit corruptions: each names no permit that is held.
        for (int k = 1; k <= 16; k++) {
          assertThat(limiter.release(permit + k, Outcome.SUCCESS)).as("%d+%d", permit, k).isFalse();
          assertThat(limiter.release(permit - k, Outcome.SUCCESS)).as("%d-%d", permit, k).isFalse();
          attempts += 2;
        }
        for (int bit = 0; bit < 64; bit++) {
          long flipped = permit ^ (1L << bit);
          assertThat(limiter.release(flipped, Outcome.DROPPED)).as("%d^bit %d", permit, bit)
              .isFalse();
          attempts++;
        }
        for (int r = 0; r < 8; r++) {
          long corrupted = permit ^ (random.nextLong() & random.nextLong());
          if (corrupted != permit) {
            assertThat(limiter.release(corrupted, Outcome.IGNORED)).isFalse();
            attempts++;
          }
        }
      }
      assertThat(limiter.snapshot().invalidReleases()).isEqualTo(attempts);
      assertThat(limiter.inFlight()).isEqualTo(held);
      assertThat(Ticket.isRejection(limiter.tryAcquire())).as("the limit still binds").isTrue();
      for (long permit : permits) {
        assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
      }
      assertThat(limiter.inFlight()).isZero();
      assertThat(limiter.snapshot().invalidReleases()).isEqualTo(attempts);
    }
  }

  @Test
  void aListenerFailurePropagatesToTheReleaseThatClosedTheWindowAfterTheLimitIsSet() {
    ScriptedLimit script = new ScriptedLimit(4, 100);
    script.next = 9;
    Limiter limiter = Limiter.newBuilder()
        .clock(clock)
        .algorithm(() -> script)
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1)
        .listener((window, newLimit) -> {
          throw new IllegalStateException("listener bug");
        })
        .build();
    long permit = limiter.tryAcquire();
    clock.advance(Duration.ofMillis(100));
    assertThatThrownBy(() -> limiter.release(permit, Outcome.SUCCESS))
        .isInstanceOf(IllegalStateException.class).hasMessage("listener bug");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.limit()).isEqualTo(9);
    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(1);
    // The window restarted: the next releases do not run into the failure again until it is due.
    assertThat(limiter.release(limiter.tryAcquire(), Outcome.SUCCESS)).isTrue();
  }

  @Test
  void weightedAcquireTakesCostUnits() {
    Limiter limiter = limiter(FixedLimit.of(10));
    long heavy = limiter.tryAcquire(7);
    assertThat(limiter.inFlight()).isEqualTo(7);
    assertThat(Ticket.isRejection(limiter.tryAcquire(4))).isTrue();
    long light = limiter.tryAcquire(3);
    assertThat(Ticket.isPermit(light)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(10);

    limiter.release(heavy, Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isEqualTo(3);
    limiter.release(light, Outcome.IGNORED);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void costOutsideItsRangeFailsNamingTheRange() {
    Limiter limiter = limiter(FixedLimit.of(10));
    assertThatThrownBy(() -> limiter.tryAcquire(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be in [1, 10] but was 0");
    assertThatThrownBy(() -> limiter.tryAcquire(11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be in [1, 10] but was 11");
  }

  @Test
  void nothingIsAdmittedWhileInFlightExceedsAShrunkenLimit() {
    ScriptedLimit script = new ScriptedLimit(10, 100);
    Limiter limiter = limiter(script);
    long[] permits = new long[8];
    for (int i = 0; i < permits.length; i++) {
      permits[i] = limiter.tryAcquire();
    }
    script.next = 5;
    clock.advance(Duration.ofMillis(150));
    // Five timed releases: enough samples to close the window, which shrinks the limit to 5.
    for (int i = 0; i < 5; i++) {
      limiter.release(permits[i], Outcome.SUCCESS);
    }
    assertThat(limiter.limit()).isEqualTo(5);
    assertThat(limiter.inFlight()).isEqualTo(3);
    assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
    assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
    assertThat(Ticket.isRejection(limiter.tryAcquire())).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(5);
  }

  @Test
  void aWindowClosesOnTimeAndSamplesAndFeedsItsCountsToTheAlgorithm() {
    ScriptedLimit script = new ScriptedLimit(4, 100);
    Limiter limiter = limiter(script);
    long[] permits = new long[4];
    for (int i = 0; i < 4; i++) {
      permits[i] = limiter.tryAcquire();
    }
    limiter.tryAcquire(); // rejected
    clock.advance(Duration.ofMillis(10));
    limiter.release(permits[0], Outcome.SUCCESS);
    limiter.release(permits[1], Outcome.DROPPED);
    assertThat(limiter.snapshot().windowsClosed()).isZero();

    clock.advance(Duration.ofMillis(200));
    limiter.release(permits[2], Outcome.IGNORED);
    // Only one latency sample and one drop so far: below minSamples (5), the window stays open.
    assertThat(limiter.snapshot().windowsClosed()).isZero();

    clock.advance(Duration.ofSeconds(1));
    limiter.release(permits[3], Outcome.SUCCESS);
    // The window reached its maximum length: it closes with everything it merged.
    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(1);
    assertThat(script.windows).containsExactly("4c/1d/1r/2s/max4");
  }

  @Test
  void aWindowFullOfDropsClosesWithoutLatencySamples() {
    ScriptedLimit script = new ScriptedLimit(10, 100);
    Limiter limiter = limiter(script);
    long[] permits = new long[6];
    for (int i = 0; i < permits.length; i++) {
      permits[i] = limiter.tryAcquire();
    }
    clock.advance(Duration.ofMillis(150));
    for (long permit : permits) {
      limiter.release(permit, Outcome.DROPPED);
    }
    assertThat(script.windows).containsExactly("5c/5d/0r/0s/max6");
  }

  @Test
  void retryAfterIsJitteredWithinItsBoundsAndClampedToTheRange() {
    Limiter limiter = Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(1))
        .retryAfter(Duration.ofMillis(100), Duration.ofMillis(300))
        .retryAfterJitter(1.0)
        .build();
    limiter.tryAcquire();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long hint = Ticket.retryAfterNanos(limiter.tryAcquire());
      min = Math.min(min, hint);
      max = Math.max(max, hint);
    }
    assertThat(min).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(max).isLessThan(Duration.ofMillis(200).toNanos());
    // Spread, not lock-step: the hints cover most of their range.
    assertThat(max - min).isGreaterThan(Duration.ofMillis(90).toNanos());
  }
}
