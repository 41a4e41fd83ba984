package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Metrics read guards through their public snapshots only: a user's decorator of the built-in
 * limiter is snapshotted and monitored as its delegate, alone or under an executor, and shadow
 * mode's refusals are not counted twice.
 */
class DecoratedGuardsTest {
  private static final Duration INTERVAL = Duration.ofSeconds(10);

  private final ManualClock clock = new ManualClock();

  private Limiter builtIn(int limit) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(limit)).build();
  }

  private OverloadMonitor.Builder strict(OverloadMonitor.Builder b) {
    return b.clock(clock).interval(INTERVAL).rejectionRatio(0.05, Duration.ZERO).minRequests(1);
  }

  @Test
  void aDecoratedLimiterIsSnapshottedAndMonitoredAsItsDelegate() {
    Limiter delegate = builtIn(2);
    ForwardingLimiter decorated = new ForwardingLimiter(delegate);
    OverloadMonitor monitor = strict(OverloadMonitor.newBuilder(decorated)).build();

    long a = decorated.tryAcquire();
    long b = decorated.tryAcquire(1, Priority.SHEDDABLE);
    for (int i = 0; i < 8; i++) {
      assertThat(Ticket.isRejection(decorated.tryAcquire())).isTrue();
    }
    decorated.release(a, Outcome.SUCCESS);
    decorated.release(b, Outcome.DROPPED);

    LimiterSnapshot s = decorated.snapshot();
    assertThat(s).isEqualTo(delegate.snapshot());
    assertThat(s.admitted()).isEqualTo(2);
    assertThat(s.rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL)).isEqualTo(8);
    assertThat(s.dropped()).isEqualTo(1);
    assertThat(decorated.calls.get()).isEqualTo(10);

    clock.advance(INTERVAL);
    OverloadStatus status = monitor.evaluate();
    assertThat(status.state()).isEqualTo(OverloadState.OVERLOADED);
    assertThat(status.requests()).isEqualTo(10);
    assertThat(status.rejected()).isEqualTo(8);
    assertThat(status.limit()).isEqualTo(2);
    assertThat(status.minLimit()).isEqualTo(2);
  }

  @Test
  void aDecoratedLimiterGivesAutoCloseablePermitsThroughItsDelegate() {
    Limiter delegate = builtIn(1);
    ForwardingLimiter decorated = new ForwardingLimiter(delegate);
    try (Limiter.Permit permit = decorated.acquire()) {
      assertThat(delegate.inFlight()).isEqualTo(1);
      assertThatThrownBy(decorated::acquire).isInstanceOf(AdmissionRejectedException.class);
      permit.release(Outcome.DROPPED);
    }
    assertThat(delegate.inFlight()).isZero();
    assertThat(decorated.snapshot().dropped()).isEqualTo(1);
  }

  @Test
  void anExecutorOverADecoratedLimiterIsMonitored() {
    List<Runnable> running = new ArrayList<>();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(running::add).clock(clock)
        .limiter(new ForwardingLimiter(builtIn(1))).queueCapacity(0).build();
    OverloadMonitor monitor = strict(OverloadMonitor.newBuilder(executor)).build();

    executor.submit(() -> "held");
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> executor.submit(() -> "refused"))
          .isInstanceOf(AdmissionRejectedException.class);
    }
    running.forEach(Runnable::run);

    clock.advance(INTERVAL);
    OverloadStatus status = monitor.evaluate();
    assertThat(status.requests()).isEqualTo(4);
    assertThat(status.rejected()).isEqualTo(3);
    assertThat(status.state()).isEqualTo(OverloadState.OVERLOADED);
    assertThat(executor.snapshot().completed(Outcome.SUCCESS, Priority.CRITICAL)).isEqualTo(1);
  }

  @Test
  void shadowModeRefusalsCountOnceAsRequestsAndOnceAsRefusals() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .monitorOnly(true).build();
    OverloadMonitor monitor = strict(OverloadMonitor.newBuilder(limiter)).build();
    List<Long> permits = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      long p = limiter.tryAcquire();
      assertThat(Ticket.isPermit(p)).as("monitor-only admits everything").isTrue();
      permits.add(p);
    }
    permits.forEach(p -> limiter.release(p, Outcome.SUCCESS));

    LimiterSnapshot s = limiter.snapshot();
    assertThat(s.admitted()).isEqualTo(10);
    assertThat(s.rejected()).isEqualTo(9);
    assertThat(s.monitoredRejections()).isEqualTo(9);

    clock.advance(INTERVAL);
    OverloadStatus status = monitor.evaluate();
    assertThat(status.requests()).as("10 acquisitions, not admitted + rejected = 19").isEqualTo(10);
    assertThat(status.rejected()).isEqualTo(9);
    assertThat(status.rejectionRatio()).isEqualTo(0.9);
  }
}
