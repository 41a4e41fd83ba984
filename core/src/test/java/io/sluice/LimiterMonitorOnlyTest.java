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
import org.junit.jupiter.api.Test;

/**
 * Monitor-only (shadow) mode: the limiter computes its limit and counts and reports every refusal
 * it would make, but admits the work, and switches to enforcing and back at run time.
 */
class LimiterMonitorOnlyTest {
  private final ManualClock clock = new ManualClock();
  private final List<String> heard = new ArrayList<>();

  private WindowedLimiter limiter(LimitAlgorithm algorithm, boolean monitorOnly) {
    return (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(() -> algorithm)
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1)
        .monitorOnly(monitorOnly)
        .rejectionListener((reason, priority, retryAfter) -> heard.add(reason + "/" + priority))
        .build();
  }

  private static long[] acquire(Limiter limiter, int count) {
    long[] permits = new long[count];
    for (int i = 0; i < count; i++) {
      permits[i] = limiter.tryAcquire();
      assertThat(Ticket.isPermit(permits[i])).as("#%d admitted", i).isTrue();
    }
    return permits;
  }

  private static void release(Limiter limiter, long[] permits) {
    for (long permit : permits) {
      assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    }
  }

  @Test
  void aMonitorOnlyLimiterAdmitsEverythingAndCountsWhatItWouldRefuse() {
    WindowedLimiter limiter = limiter(FixedLimit.of(5), true);
    assertThat(limiter.monitorOnly()).isTrue();

    long[] permits = acquire(limiter, 12);

    assertThat(limiter.inFlight()).isEqualTo(12);
    assertThat(limiter.snapshot().rejected()).isEqualTo(7);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(7);
    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL))
        .isEqualTo(7);
    assertThat(heard).hasSize(7).containsOnly("LIMIT_REACHED/CRITICAL");
    // Every permit is a real one: released exactly once, and the counts add up at rest.
    release(limiter, permits);
    assertThat(limiter.release(permits[11], Outcome.SUCCESS)).isFalse();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.admitted()).isEqualTo(12);
    assertThat(limiter.releases()).isEqualTo(12);
  }

  @Test
  void switchingToEnforcingAndBackTakesEffectAtOnceAndKeepsThePermitsHeld() {
    WindowedLimiter limiter = limiter(FixedLimit.of(4), false);
    long[] first = acquire(limiter, 4);
    assertThat(Ticket.reason(limiter.tryAcquire())).isEqualTo(RejectReason.LIMIT_REACHED);

    limiter.monitorOnly(true);
    long[] shadow = acquire(limiter, 3);
    assertThat(limiter.inFlight()).isEqualTo(7);

    limiter.monitorOnly(false);
    assertThat(limiter.monitorOnly()).isFalse();
    // Seven in flight, limit four: nothing is admitted until in-flight falls below the limit.
    release(limiter, new long[] {first[0], first[1], first[2]});
    assertThat(Ticket.isRejection(limiter.tryAcquire())).isTrue();
    release(limiter, shadow);
    long again = limiter.tryAcquire();
    assertThat(Ticket.isPermit(again)).isTrue();

    assertThat(limiter.snapshot().rejected()).isEqualTo(5);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(3);
    release(limiter, new long[] {first[3], again});
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void refusalsByPriorityAreCountedAndReportedInMonitorOnlyModeToo() {
    WindowedLimiter limiter = (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(10))
        .priorityShares(0.9, 0.75, 0.5)
        .monitorOnly(true)
        .rejectionListener((reason, priority, retryAfter) -> heard.add(reason + "/" + priority))
        .build();
    long[] sheddable = new long[10];
    for (int i = 0; i < sheddable.length; i++) {
      sheddable[i] = limiter.tryAcquire(1, Priority.SHEDDABLE);
    }
    long critical = limiter.tryAcquire(1, Priority.CRITICAL);
    long more = limiter.tryAcquire(1, Priority.SHEDDABLE);

    assertThat(Ticket.isPermit(critical) && Ticket.isPermit(more)).isTrue();
    assertThat(heard).containsExactly("LIMIT_REACHED/CRITICAL", "LIMIT_REACHED/SHEDDABLE");
    release(limiter, sheddable);
    // 2 in flight: a sheddable request is within the limit but not within its share (5) once
    // shares are in force, which the critical refusal put them; it would have been shed.
    long[] four = new long[4];
    for (int i = 0; i < four.length; i++) {
      four[i] = limiter.tryAcquire(1, Priority.SHEDDABLE);
    }
    assertThat(heard).endsWith("PRIORITY_SHED/SHEDDABLE");
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(1);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(3);
    release(limiter, four);
    release(limiter, new long[] {critical, more});
    assertThat(limiter.inFlight()).isZero();
  }

  /** Records what each window showed the algorithm. */
  static final class Recording implements LimitAlgorithm {
    final List<String> windows = new ArrayList<>();

    @Override
    public int initialLimit() {
      return 3;
    }

    @Override
    public int minLimit() {
      return 1;
    }

    @Override
    public int maxLimit() {
      return 100;
    }

    @Override
    public int update(WindowStats window) {
      windows.add(window.rejections() + "r/max" + window.maxInFlight() + "/limit"
          + window.limit());
      return 2;
    }
  }

  @Test
  void theAlgorithmStillRunsAndSeesTheRefusalsAndTheWorkInFlight() {
    Recording algorithm = new Recording();
    WindowedLimiter limiter = limiter(algorithm, true);
    long[] permits = acquire(limiter, 8);
    clock.advance(Duration.ofMillis(150));
    release(limiter, permits);

    assertThat(algorithm.windows).containsExactly("5r/max8/limit3");
    assertThat(limiter.limit()).isEqualTo(2);
  }

  @Test
  void workInFlightMayExceedMaxLimitAndThePermitTableGrowsWithIt() {
    WindowedLimiter limiter = limiter(FixedLimit.of(10), true);
    long[] permits = acquire(limiter, 5_000);
    assertThat(limiter.inFlight()).isEqualTo(5_000);
    assertThat(limiter.permitCapacity()).isBetween(2 * 5_000, 4 * 5_000);
    release(limiter, permits);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(4_990);
  }

  @Test
  void beyondTheCeilingOfUnitsEvenAMonitorOnlyLimiterRefuses() {
    int max = LimitAlgorithm.MAX_SUPPORTED_LIMIT;
    WindowedLimiter limiter = limiter(FixedLimit.of(max), true);
    long[] permits = new long[WindowedLimiter.MAX_UNITS / max];
    for (int i = 0; i < permits.length; i++) {
      permits[i] = limiter.tryAcquire(max);
      assertThat(Ticket.isPermit(permits[i])).isTrue();
    }
    assertThat(limiter.inFlight()).isEqualTo(WindowedLimiter.MAX_UNITS);

    long refused = limiter.tryAcquire();
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(limiter.snapshot().rejected()).isEqualTo(permits.length);
    assertThat(limiter.snapshot().monitoredRejections()).isEqualTo(permits.length - 1);
    // A refund is always granted; an extra charge beyond the ceiling is refused.
    assertThat(limiter.adjust(permits[0], max - 1)).isTrue();
    long one = limiter.tryAcquire();
    assertThat(Ticket.isPermit(one)).isTrue();
    assertThat(limiter.adjust(permits[0], max)).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(WindowedLimiter.MAX_UNITS);
    release(limiter, permits);
    release(limiter, new long[] {one});
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aMonitorOnlyLimiterGrantsEveryExtraCharge() {
    WindowedLimiter limiter = limiter(FixedLimit.of(4), true);
    long[] permits = acquire(limiter, 4);
    assertThat(limiter.adjust(permits[0], 3)).isTrue();
    assertThat(limiter.adjust(permits[1], 3)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(8);
    limiter.monitorOnly(false);
    assertThat(limiter.adjust(permits[2], 2)).as("in flight above the limit").isFalse();
    release(limiter, permits);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aLimiterWithoutShadowModeRefusesToPretend() {
    Limiter minimal = new LimiterDefaultsTest.Minimal();
    assertThat(minimal.monitorOnly()).isFalse();
    minimal.monitorOnly(false);
    assertThatThrownBy(() -> minimal.monitorOnly(true))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("monitor-only");
  }
}
