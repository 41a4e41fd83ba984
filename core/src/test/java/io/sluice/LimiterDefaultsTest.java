package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.metrics.LimiterSnapshot;
import org.junit.jupiter.api.Test;

/**
 * The default methods of {@link Limiter} describe a limiter without the feature: priorities
 * ignored, no milestone samples, no cost adjustment, never monitor-only, and a snapshot of the live
 * state whose counts are 0.
 */
class LimiterDefaultsTest {

  /** A limiter of one permit that implements only the abstract methods. */
  static final class Minimal implements Limiter {
    int costAsked;
    boolean held;

    @Override
    public long tryAcquire() {
      return tryAcquire(1);
    }

    @Override
    public long tryAcquire(int cost) {
      costAsked = cost;
      if (held) {
        return Ticket.rejection(RejectReason.LIMIT_REACHED, 0);
      }
      held = true;
      return 0;
    }

    @Override
    public boolean release(long permit, Outcome outcome) {
      boolean wasHeld = held && permit == 0;
      held &= !wasHeld;
      return wasHeld;
    }

    @Override
    public int limit() {
      return 1;
    }

    @Override
    public int inFlight() {
      return held ? 1 : 0;
    }

    @Override
    public long retryAfterNanos() {
      return 0;
    }
  }

  @Test
  void theDefaultsDescribeALimiterWithoutTheFeatures() {
    Minimal limiter = new Minimal();
    long permit = limiter.tryAcquire(3, Priority.SHEDDABLE);
    assertThat(permit).isZero();
    assertThat(limiter.costAsked).isEqualTo(3);
    assertThat(Ticket.isRejection(limiter.tryAcquire(1, Priority.CRITICAL_PLUS))).isTrue();
    assertThatThrownBy(() -> limiter.tryAcquire(1, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("priority");

    assertThat(limiter.sample(permit)).isFalse();
    assertThat(limiter.adjust(permit, 2)).isFalse();
    assertThat(limiter.monitorOnly()).isFalse();
    LimiterSnapshot snapshot = limiter.snapshot();
    assertThat(snapshot.limit()).isEqualTo(1);
    assertThat(snapshot.inFlight()).isEqualTo(1);
    assertThat(snapshot.rejected()).isZero();
    assertThat(snapshot.monitoredRejections()).isZero();
    assertThat(snapshot.invalidSamples()).isZero();
    assertThat(snapshot.invalidAdjustments()).isZero();
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
  }
}
