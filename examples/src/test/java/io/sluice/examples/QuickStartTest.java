package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.RejectReason;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class QuickStartTest {

  @Test
  void aGuardedCallRunsAndReleasesItsPermit() throws Exception {
    Limiter limiter = QuickStart.newLimiter();
    assertThat(QuickStart.guarded(limiter, () -> 42)).isEqualTo(42);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aFailingCallStillReleasesItsPermit() {
    Limiter limiter = QuickStart.newLimiter();
    assertThatThrownBy(() -> QuickStart.guarded(limiter, () -> {
      throw new IOException("backend down");
    })).isInstanceOf(IOException.class);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aCallBeyondTheLimitIsRejectedWithReasonAndRetryAfter() throws Exception {
    Limiter limiter = QuickStart.newLimiter();
    int limit = limiter.limit();
    for (int i = 0; i < limit; i++) {
      assertThat(io.sluice.Ticket.isPermit(limiter.tryAcquire())).isTrue();
    }
    assertThatThrownBy(() -> QuickStart.guarded(limiter, () -> "never runs"))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.LIMIT_REACHED);
          assertThat(e.retryAfterNanos()).isPositive();
        });
  }

  @Test
  void theMainMethodsRun() throws Exception {
    QuickStart.main(new String[0]);
  }
}
