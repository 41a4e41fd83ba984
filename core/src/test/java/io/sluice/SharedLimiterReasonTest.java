package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.FixedLimit;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Guards over a limiter shared with callers of a higher priority: the executor and the pool guard
 * (which ask as CRITICAL) keep the reason of the limiter's refusal (PRIORITY_SHED while the
 * limiter holds CRITICAL to its share) instead of calling every refusal LIMIT_REACHED.
 */
class SharedLimiterReasonTest {
  private final ManualClock clock = new ManualClock();
  private final Limiter shared =
      Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(10)).build();

  /**
   * Puts the shares in force (a CRITICAL_PLUS caller refused at the limit) and leaves 9 of 10
   * units held: CRITICAL (the guards' level) may fill 9, CRITICAL_PLUS all 10.
   */
  private void pressTheShares() {
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      held.add(shared.tryAcquire(1, Priority.CRITICAL_PLUS));
    }
    assertThat(Ticket.reason(shared.tryAcquire(1, Priority.CRITICAL_PLUS)))
        .isEqualTo(RejectReason.LIMIT_REACHED);
    shared.release(held.get(0), Outcome.IGNORED);
    assertThat(shared.inFlight()).isEqualTo(9);
  }

  @Test
  void theExecutorKeepsTheLimitersReason() {
    pressTheShares();
    List<Runnable> running = new ArrayList<>();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(running::add).clock(clock)
        .limiter(shared).queueCapacity(0).build();

    assertThatThrownBy(() -> executor.submit(() -> "x", TaskOptions.of(Priority.SHEDDABLE)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.PRIORITY_SHED));
    assertThat(running).isEmpty();
    assertThat(executor.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(1);
    assertThat(executor.snapshot().rejected(RejectReason.LIMIT_REACHED)).isZero();
  }

  @Test
  void thePoolGuardKeepsTheLimitersReason() {
    pressTheShares();
    PoolGuard<String> guard = PoolGuard.newBuilder(new PoolAdapter<String>() {
      @Override
      public String borrow(long timeoutNanos) {
        return "connection";
      }

      @Override
      public void giveBack(String resource) {}
    }).clock(clock).limiter(shared).maxWaiters(0).build();

    assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(1)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.PRIORITY_SHED));
    assertThat(guard.snapshot().refused(RejectReason.PRIORITY_SHED)).isEqualTo(1);
    assertThat(guard.snapshot().refused(RejectReason.LIMIT_REACHED)).isZero();
  }
}
