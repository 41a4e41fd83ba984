package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The mapping of the monitor's states to health statuses, with time driven by a manual clock. */
class SluiceHealthIndicatorTest {
  private final ManualClock clock = new ManualClock();
  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).clock(clock)
      .build();
  private final OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock)
      .interval(Duration.ofSeconds(10)).rejectionRatio(0.05, Duration.ofSeconds(30)).build();
  private final SluiceHealthIndicator indicator = new SluiceHealthIndicator(monitor);

  /** One interval of 40 requests: 1 admitted, the rest refused (or all admitted if calm). */
  private void interval(boolean rejecting) {
    for (int i = 0; i < 40; i++) {
      long permit = limiter.tryAcquire();
      if (!rejecting || i == 0) {
        assertThat(Ticket.isPermit(permit)).isTrue();
        limiter.release(permit, Outcome.SUCCESS);
      } else {
        assertThat(Ticket.isPermit(permit)).isFalse();
      }
      if (rejecting && i == 0) {
        permit = limiter.tryAcquire(); // held across the interval: the rest are refused
        held = permit;
      }
    }
    if (rejecting) {
      limiter.release(held, Outcome.SUCCESS);
    }
    clock.advance(Duration.ofSeconds(10));
  }

  private long held;

  @Test
  void okIsUpDegradedIsDegradedOverloadedIsOutOfService() {
    Health first = indicator.health();
    assertThat(first.getStatus()).isEqualTo(Status.UP);
    assertThat(first.getDetails()).containsEntry("state", "OK").containsEntry("limit", 1);

    interval(false);
    assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

    interval(true);
    Health degraded = indicator.health();
    assertThat(degraded.getStatus()).isEqualTo(SluiceHealthIndicator.DEGRADED);
    assertThat((double) degraded.getDetails().get("rejectionRatio")).isGreaterThan(0.05);

    for (int i = 0; i < 4; i++) {
      interval(true);
      indicator.health();
    }
    Health overloaded = indicator.health();
    assertThat(overloaded.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    assertThat(overloaded.getDetails()).containsEntry("state", "OVERLOADED");
  }
}
