package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.SettableDetector;
import io.sluice.Ticket;
import io.sluice.detector.OverloadLevel;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the gate passes through to the limiter behind its tickets: the priority of an acquisition,
 * the milestone sample of a held permit, and the correction of its cost, which the tenant's share
 * follows.
 */
class FairSharePassThroughTest {
  private final ManualClock clock = new ManualClock();

  /** Records each window's sample count and median RTT; keeps a fixed limit of 100. */
  private static final class Recording implements LimitAlgorithm {
    final List<String> windows = new ArrayList<>();

    @Override
    public int initialLimit() {
      return 100;
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
      windows.add(window.sampleCount() + "s/p50 "
          + Duration.ofNanos(window.rttNanos(0.5)).toMillis() + "ms");
      return window.limit();
    }
  }

  private Limiter limiter(int limit) {
    return Limiter.newBuilder().algorithm(FixedLimit.of(limit)).clock(clock).build();
  }

  private FairShare<String> gate(Limiter limiter, double reserve) {
    return FairShare.newBuilder(limiter).reserve(reserve).clock(clock).build();
  }

  @Test
  void theMilestoneIsTheLimitersSampleTakenOnceWhileThePermitStaysHeld() {
    Recording algorithm = new Recording();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(() -> algorithm)
        .window(Duration.ofMillis(100), Duration.ofSeconds(10), 2).build();
    FairShare<String> gate = gate(limiter, 0.05);
    clock.advance(Duration.ofMillis(150));
    long first = gate.tryAcquire("a", 4);
    long second = gate.tryAcquire("b", 4);
    clock.advance(Duration.ofMillis(5));

    assertThat(gate.sample(first)).isTrue();
    assertThat(gate.sample(first)).as("a second milestone").isFalse();
    assertThat(gate.sample(second)).isTrue();

    // The second milestone filled the window: it closed on 5 ms samples, the streams held.
    assertThat(algorithm.windows).containsExactly("2s/p50 5ms");
    assertThat(limiter.inFlight()).isEqualTo(8);
    assertThat(gate.held("a")).isEqualTo(4);
    clock.advance(Duration.ofSeconds(60));
    assertThat(gate.release(first, Outcome.SUCCESS)).isTrue();
    assertThat(gate.release(second, Outcome.SUCCESS)).isTrue();
    long quick = gate.tryAcquire("a");
    clock.advance(Duration.ofMillis(150));
    gate.release(quick, Outcome.DROPPED);
    // The streams' releases recorded no 60 s sample of their own.
    assertThat(algorithm.windows).containsExactly("2s/p50 5ms", "0s/p50 0ms");
    assertThat(gate.sample(first)).as("released").isFalse();
  }

  @Test
  void anAdjustmentChangesTheLimitersUnitsAndTheTenantsAlike() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.05);
    long permit = gate.tryAcquire("a", 10);

    assertThat(gate.adjust(permit, 30)).isTrue();
    assertThat(limiter.inFlight()).isEqualTo(30);
    assertThat(gate.held("a")).isEqualTo(30);
    assertThat(gate.adjust(permit, 5)).as("a refund").isTrue();
    assertThat(limiter.inFlight()).isEqualTo(5);
    assertThat(gate.held("a")).isEqualTo(5);
    assertThat(gate.adjust(permit, 5)).as("no change").isTrue();

    assertThat(gate.release(permit, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
    assertThat(gate.held("a")).isZero();
    assertThat(gate.activeWeight()).isZero();
  }

  @Test
  void anExtraChargeOverAFullLimitIsRefusedAndChangesNothing() {
    Limiter limiter = limiter(10);
    FairShare<String> gate = gate(limiter, 0);
    long a = gate.tryAcquire("a", 6);
    long b = gate.tryAcquire("b", 4);

    assertThat(gate.adjust(a, 8)).as("within the limit before the charge").isTrue();
    assertThat(limiter.inFlight()).isEqualTo(12);
    assertThat(gate.adjust(b, 6)).as("the limit is exceeded already").isFalse();

    assertThat(limiter.inFlight()).isEqualTo(12);
    assertThat(gate.held("a")).isEqualTo(8);
    assertThat(gate.held("b")).isEqualTo(4);
    gate.release(a, Outcome.SUCCESS);
    gate.release(b, Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
    assertThat(gate.held("b")).isZero();
    assertThat(gate.activeWeight()).isZero();
  }

  @Test
  void theTrueCostDecidesTheTenantsShare() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.2);
    long a = gate.tryAcquire("a", 10);
    long b = gate.tryAcquire("b", 1);

    // Two tenants, a share of 50 each: at its estimate of 10, a is within its share.
    assertThat(gate.adjust(a, 70)).isTrue();
    long more = gate.tryAcquire("a", 20);

    // At its true 70, a borrows: 100 - 71 - 20 = 9 free after it, short of the 16 it must leave.
    assertThat(Ticket.reason(more)).isEqualTo(RejectReason.FAIR_SHARE);
    gate.release(a, Outcome.SUCCESS);
    gate.release(b, Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
    assertThat(gate.activeWeight()).isZero();
  }

  @Test
  void releasedRejectedAndForeignTicketsAreNeitherSampledNorAdjusted() {
    Limiter limiter = limiter(10);
    FairShare<String> gate = gate(limiter, 0.05);
    FairShare<String> other = gate(limiter, 0.05);
    long permit = gate.tryAcquire("a", 2);
    long foreign = other.tryAcquire("a", 2);
    long rejection = gate.tryAcquire("a", 8);

    assertThat(Ticket.isRejection(rejection)).isTrue();
    for (long ticket : new long[] {rejection, permit + 1, permit ^ 1L << 40, foreign}) {
      assertThat(gate.sample(ticket)).as(Ticket.toString(ticket)).isFalse();
      assertThat(gate.adjust(ticket, 3)).as(Ticket.toString(ticket)).isFalse();
    }
    assertThatThrownBy(() -> gate.adjust(permit, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("newCost");
    assertThat(limiter.inFlight()).as("nothing adjusted").isEqualTo(4);
    gate.release(permit, Outcome.SUCCESS);
    assertThat(gate.adjust(permit, 3)).isFalse();
    assertThat(gate.sample(permit)).isFalse();
    other.release(foreign, Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
    assertThat(gate.held("a")).isZero();
    assertThat(other.held("a")).isZero();
  }

  @Test
  void thePriorityGoesToTheLimiterAndItsRefusalClaimsNothing() {
    SettableDetector detector = new SettableDetector("overload");
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(100)).clock(clock)
        .detector(detector).build();
    FairShare<String> gate = gate(limiter, 0);
    long a = gate.tryAcquire("a", 60);
    detector.set(OverloadLevel.SEVERE);

    long shed = gate.tryAcquire("b", 30, Priority.SHEDDABLE);

    assertThat(Ticket.reason(shed)).isEqualTo(RejectReason.PROCESS_OVERLOADED);
    // b's 30 units were refused by the detector, not for want of room: no claim holds them back,
    // so a, alone, is within its share and takes them.
    long more = gate.tryAcquire("a", 30);
    assertThat(Ticket.isPermit(more)).as(Ticket.toString(more)).isTrue();
    long critical = gate.tryAcquire("b", 1, Priority.CRITICAL);
    assertThat(Ticket.isPermit(critical)).as("critical work passes the detector").isTrue();
    gate.release(critical, Outcome.SUCCESS);
    assertThatThrownBy(() -> gate.tryAcquire("a", 1, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("priority");
    gate.release(a, Outcome.SUCCESS);
    gate.release(more, Outcome.SUCCESS);
    assertThat(limiter.inFlight()).isZero();
  }
}
