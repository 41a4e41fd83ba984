package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The default methods of {@link Limiter} describe a limiter without the feature: priorities
 * ignored, no milestone samples, no cost adjustment, never monitor-only, every refusal a
 * LIMIT_REACHED of CRITICAL work.
 */
class LimiterDefaultsTest {

  /** A limiter of one permit that implements only the abstract methods. */
  static final class Minimal implements Limiter {
    int costAsked;
    boolean held;
    long rejections;

    @Override
    public long tryAcquire() {
      return tryAcquire(1);
    }

    @Override
    public long tryAcquire(int cost) {
      costAsked = cost;
      if (held) {
        rejections++;
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

    @Override
    public long rejections() {
      return rejections;
    }

    @Override
    public long invalidReleases() {
      return 0;
    }

    @Override
    public long windowsClosed() {
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
    assertThat(limiter.rejections(RejectReason.LIMIT_REACHED, Priority.CRITICAL)).isEqualTo(1);
    assertThat(limiter.rejections(RejectReason.LIMIT_REACHED, Priority.CRITICAL_PLUS)).isZero();
    assertThat(limiter.rejections(RejectReason.PRIORITY_SHED, Priority.CRITICAL)).isZero();
    assertThatThrownBy(() -> limiter.rejections(RejectReason.LIMIT_REACHED, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(limiter.monitoredRejections()).isZero();
    assertThat(limiter.invalidSamples()).isZero();
    assertThat(limiter.invalidAdjustments()).isZero();
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
  }
}
