package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The opt-in AutoCloseable permit: released exactly once, as IGNORED when closed without an
 * outcome, and a refusal thrown with the limiter's reason and Retry-After.
 */
class LimiterPermitTest {
  private final ManualClock clock = new ManualClock();
  private final Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(2))
      .retryAfter(Duration.ofMillis(10), Duration.ofSeconds(1)).retryAfterJitter(0).build();

  @Test
  void aPermitReleasedWithAnOutcomeIsNotReleasedAgainOnClose() {
    try (Limiter.Permit permit = limiter.acquire()) {
      assertThat(limiter.inFlight()).isEqualTo(1);
      assertThat(Ticket.isPermit(permit.ticket())).isTrue();
      clock.advance(Duration.ofMillis(5));
      assertThat(permit.release(Outcome.SUCCESS)).isTrue();
      assertThat(permit.release(Outcome.DROPPED)).isFalse();
      assertThat(permit.isReleased()).isTrue();
    }
    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.inFlight()).isZero();
    assertThat(s.succeeded()).isEqualTo(1);
    assertThat(s.dropped()).isZero();
    assertThat(s.ignored()).isZero();
    assertThat(s.invalidReleases()).as("no second release reached the limiter").isZero();
  }

  @Test
  void closingWithoutAnOutcomeReleasesItAsIgnoredEvenWhenTheBlockThrows() {
    assertThatThrownBy(() -> {
      try (Limiter.Permit permit = limiter.acquire(2, Priority.SHEDDABLE)) {
        assertThat(permit.isReleased()).isFalse();
        assertThat(limiter.inFlight()).isEqualTo(2);
        throw new IllegalStateException("the caller's bug");
      }
    }).hasMessage("the caller's bug");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().ignored()).isEqualTo(1);
  }

  @Test
  void aRefusedAcquireThrowsTheLimitersReasonAndRetryAfter() {
    Limiter.Permit held = limiter.acquire(2, Priority.CRITICAL);
    long expected = Ticket.retryAfterNanos(limiter.tryAcquire());
    assertThatThrownBy(limiter::acquire)
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
          assertThat(e.retryAfterNanos()).isEqualTo(expected);
        });
    held.close();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL))
        .isEqualTo(2);
  }

  @Test
  void aNullOutcomeIsRefusedAndTheCostIsChecked() {
    try (Limiter.Permit permit = limiter.acquire()) {
      assertThatThrownBy(() -> permit.release(null)).isInstanceOf(IllegalArgumentException.class);
      assertThat(permit.isReleased()).isFalse();
    }
    assertThatThrownBy(() -> limiter.acquire(3, Priority.CRITICAL))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(limiter.inFlight()).isZero();
  }
}
