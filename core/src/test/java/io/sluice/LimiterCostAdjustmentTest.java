package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Cost correction: a held permit's cost is refunded or charged when the true cost is known. */
class LimiterCostAdjustmentTest {
  private final ManualClock clock = new ManualClock();

  private WindowedLimiter limiter(int limit) {
    return (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(limit))
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1)
        .build();
  }

  @Test
  void aRefundFreesUnitsAtOnceAndTheReleaseFreesTheAdjustedCost() {
    WindowedLimiter limiter = limiter(10);
    long estimate = limiter.tryAcquire(8);
    assertThat(Ticket.isRejection(limiter.tryAcquire(3))).isTrue();

    assertThat(limiter.adjust(estimate, 2)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(2);
    long waiting = limiter.tryAcquire(3);
    assertThat(Ticket.isPermit(waiting)).isTrue();

    assertThat(limiter.release(estimate, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(3);
    assertThat(limiter.release(waiting, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.admitted()).isEqualTo(2);
    assertThat(limiter.releases()).isEqualTo(2);
  }

  @Test
  void anExtraChargeMayTakeInFlightAboveTheLimitByOneChargeOnly() {
    WindowedLimiter limiter = limiter(10);
    long a = limiter.tryAcquire(6);
    long b = limiter.tryAcquire(2);
    long c = limiter.tryAcquire(2);

    // The limit is full, the work is running: the charge is taken above the limit.
    assertThat(limiter.adjust(a, 9)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(13);
    // A second charge would stack on the first: refused, the permit keeps its cost.
    assertThat(limiter.adjust(b, 4)).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(13);
    assertThat(limiter.snapshot().invalidAdjustments()).isZero();
    assertThat(Ticket.isRejection(limiter.tryAcquire())).isTrue();
    // A refund is always granted; once in flight is within the limit, a charge is again.
    assertThat(limiter.adjust(a, 6)).isTrue();
    assertThat(limiter.adjust(b, 4)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(12);

    assertThat(limiter.release(b, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(8);
    assertThat(limiter.release(a, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.release(c, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.admitted()).isEqualTo(3);
  }

  @Test
  void anAdjustmentOfATicketNotHeldIsRefusedAndCounted() {
    WindowedLimiter limiter = limiter(10);
    long permit = limiter.tryAcquire(2);
    assertThat(limiter.adjust(permit, 2)).as("the same cost").isTrue();
    assertThat(limiter.adjust(permit + 1, 1)).isFalse();
    assertThat(limiter.adjust(permit ^ 1L << 33, 1)).isFalse();
    assertThat(limiter.adjust(Ticket.rejection(RejectReason.LIMIT_REACHED, 5), 1)).isFalse();
    assertThat(limiter.release(permit, Outcome.IGNORED)).isTrue();
    assertThat(limiter.adjust(permit, 1)).isFalse();
    assertThat(limiter.snapshot().invalidAdjustments()).isEqualTo(4);
    assertThat(limiter.inFlight()).isZero();

    long held = limiter.tryAcquire();
    assertThatThrownBy(() -> limiter.adjust(held, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("newCost must be in [1, 10] but was 0");
    assertThatThrownBy(() -> limiter.adjust(held, 11))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("newCost must be in [1, 10] but was 11");
    assertThat(limiter.release(held, Outcome.SUCCESS)).isTrue();
  }

  @Test
  void theCountsStayExactAtRestWhateverTheAdjustments() {
    WindowedLimiter limiter = limiter(1000);
    long[] permits = new long[200];
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < permits.length; i++) {
        permits[i] = limiter.tryAcquire(1 + i % 4);
      }
      for (int i = 0; i < permits.length; i++) {
        assertThat(limiter.adjust(permits[i], 1 + (i * 7 + round) % 5)).isTrue();
      }
      assertThat(limiter.admitted()).isEqualTo(200L * (round + 1));
      for (int i = 0; i < permits.length; i++) {
        Outcome outcome = i % 3 == 0 ? Outcome.DROPPED : Outcome.SUCCESS;
        assertThat(limiter.release(permits[i], outcome)).isTrue();
      }
      assertThat(limiter.inFlight()).isZero();
      assertThat(limiter.admitted()).isEqualTo(limiter.releases());
    }
  }

  @Test
  void aMilestoneAndAnAdjustmentOfOnePermitDoNotDisturbEachOther() {
    WindowedLimiter limiter = limiter(10);
    long permit = limiter.tryAcquire(5);
    assertThat(limiter.sample(permit)).isTrue();
    assertThat(limiter.adjust(permit, 3)).isTrue();
    assertThat(limiter.sample(permit)).as("still sampled after the adjustment").isFalse();
    assertThat(limiter.adjust(permit, 4)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(4);
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidSamples() + limiter.snapshot().invalidAdjustments())
        .isZero();
  }
}
