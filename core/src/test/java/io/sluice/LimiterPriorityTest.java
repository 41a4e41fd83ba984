package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Priority-aware admission on the plain limiter: nothing is refused while the work fits the limit,
 * and under contention the lower levels are held to their shares (refused with PRIORITY_SHED)
 * while the higher ones keep flowing; the shares lapse when the contention does.
 */
class LimiterPriorityTest {
  private static final int LIMIT = 10;

  private final ManualClock clock = new ManualClock();
  private final List<String> heard = new ArrayList<>();

  private WindowedLimiter limiter(int limit) {
    return (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(limit))
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1)
        // Shares that make round numbers of a limit of 10: 9, 7 (7.5 rounded down) and 5.
        .priorityShares(0.9, 0.75, 0.5)
        .rejectionListener((reason, priority, retryAfter) -> heard.add(reason + "/" + priority))
        .build();
  }

  private static long[] acquire(Limiter limiter, Priority priority, int count) {
    long[] permits = new long[count];
    for (int i = 0; i < count; i++) {
      permits[i] = limiter.tryAcquire(1, priority);
      assertThat(Ticket.isPermit(permits[i])).as("%s #%d admitted", priority, i).isTrue();
    }
    return permits;
  }

  private static void release(Limiter limiter, long[] permits, int from, int to) {
    for (int i = from; i < to; i++) {
      assertThat(limiter.release(permits[i], Outcome.SUCCESS)).isTrue();
    }
  }

  private static void assertShed(long ticket, RejectReason reason) {
    assertThat(Ticket.isRejection(ticket)).as("refused").isTrue();
    assertThat(Ticket.reason(ticket)).isEqualTo(reason);
    // The limiter's estimate, at least its minimum (10 ms) and below its maximum (60 s).
    assertThat(Ticket.retryAfterNanos(ticket)).isBetween(
        Duration.ofMillis(10).toNanos(), Duration.ofSeconds(60).toNanos());
  }

  /** Closes one window with a short CRITICAL_PLUS request taken at {@code 1 + inFlight()}. */
  private void closeWindow(Limiter limiter) {
    closeWindow(limiter, Priority.CRITICAL_PLUS);
  }

  /** Closes one window with a short request of {@code priority}. */
  private void closeWindow(Limiter limiter, Priority priority) {
    long before = limiter.snapshot().windowsClosed();
    long permit = limiter.tryAcquire(1, priority);
    assertThat(Ticket.isPermit(permit)).isTrue();
    clock.advance(Duration.ofMillis(150));
    assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.snapshot().windowsClosed()).isEqualTo(before + 1);
  }

  @Test
  void nothingIsRefusedWhileTheWorkFitsTheLimitWhateverItsPriority() {
    WindowedLimiter limiter = limiter(20);
    SplittableRandom random = new SplittableRandom(3);
    Priority[] levels = Priority.values();
    for (int round = 0; round < 2_000; round++) {
      // Any mix of levels and costs that adds up to at most the limit is admitted in full.
      List<Long> held = new ArrayList<>();
      int units = 0;
      while (units < 20) {
        int cost = 1 + random.nextInt(Math.min(4, 20 - units));
        long permit = limiter.tryAcquire(cost, levels[random.nextInt(levels.length)]);
        assertThat(Ticket.isPermit(permit)).as("round %d at %d units", round, units).isTrue();
        held.add(permit);
        units += cost;
      }
      clock.advance(Duration.ofMillis(random.nextInt(50)));
      for (long permit : held) {
        assertThat(limiter.release(permit, Outcome.SUCCESS)).isTrue();
      }
    }
    // Sheddable work alone may fill the whole limit.
    long[] sheddable = acquire(limiter, Priority.SHEDDABLE, 20);
    release(limiter, sheddable, 0, 20);
    assertThat(limiter.snapshot().rejected()).isZero();
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.LEVELS);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void underContentionCriticalIsAdmittedWhileSheddableIsShed() {
    WindowedLimiter limiter = limiter(LIMIT);
    long[] sheddable = acquire(limiter, Priority.SHEDDABLE, LIMIT);

    // Critical work finds the limit full: refused, and the levels below it are held to shares.
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.LIMIT_REACHED);
    release(limiter, sheddable, 0, 1);
    // The freed unit is not sheddable work's any more (its share is 5 of 10) but critical work's.
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);
    long critical = limiter.tryAcquire(1, Priority.CRITICAL);
    assertThat(Ticket.isPermit(critical)).isTrue();

    release(limiter, sheddable, 1, 6);
    assertThat(limiter.inFlight()).isEqualTo(5);
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);
    // SHEDDABLE_PLUS may fill 7 of 10 (0.75, rounded down), CRITICAL all of it.
    long[] plus = acquire(limiter, Priority.SHEDDABLE_PLUS, 2);
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE_PLUS), RejectReason.PRIORITY_SHED);
    long[] more = acquire(limiter, Priority.CRITICAL, 3);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.LIMIT_REACHED);

    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL))
        .isEqualTo(2);
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE))
        .isEqualTo(2);
    assertThat(limiter.snapshot().rejected(RejectReason.PRIORITY_SHED, Priority.SHEDDABLE_PLUS))
        .isEqualTo(1);
    assertThat(limiter.snapshot().rejected(RejectReason.LIMIT_REACHED, Priority.SHEDDABLE))
        .isZero();
    assertThat(limiter.snapshot().rejected(RejectReason.QUEUE_FULL, Priority.SHEDDABLE)).isZero();
    assertThat(limiter.snapshot().rejected()).isEqualTo(5);
    assertThat(heard).containsExactly("LIMIT_REACHED/CRITICAL", "PRIORITY_SHED/SHEDDABLE",
        "PRIORITY_SHED/SHEDDABLE", "PRIORITY_SHED/SHEDDABLE_PLUS", "LIMIT_REACHED/CRITICAL");

    release(limiter, sheddable, 6, LIMIT);
    release(limiter, plus, 0, plus.length);
    release(limiter, more, 0, more.length);
    assertThat(limiter.release(critical, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void workWithoutAPriorityIsCriticalAndYieldsToCriticalPlusUnderContention() {
    WindowedLimiter limiter = limiter(LIMIT);
    long[] plain = new long[LIMIT];
    for (int i = 0; i < LIMIT; i++) {
      plain[i] = limiter.tryAcquire();
    }
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL_PLUS), RejectReason.LIMIT_REACHED);
    release(limiter, plain, 0, 2);
    // CRITICAL may fill 9 of 10 while CRITICAL_PLUS is pressing.
    long ninth = limiter.tryAcquire();
    assertThat(Ticket.isPermit(ninth)).isTrue();
    assertShed(limiter.tryAcquire(), RejectReason.PRIORITY_SHED);
    assertShed(limiter.tryAcquire(1), RejectReason.PRIORITY_SHED);
    long top = limiter.tryAcquire(1, Priority.CRITICAL_PLUS);
    assertThat(Ticket.isPermit(top)).isTrue();
    assertThat(heard).containsExactly("LIMIT_REACHED/CRITICAL_PLUS", "PRIORITY_SHED/CRITICAL",
        "PRIORITY_SHED/CRITICAL");

    release(limiter, plain, 2, LIMIT);
    assertThat(limiter.release(ninth, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.release(top, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void aWeightedRequestIsShedWhenItsCostDoesNotFitItsShare() {
    WindowedLimiter limiter = limiter(LIMIT);
    long[] sheddable = acquire(limiter, Priority.SHEDDABLE, LIMIT);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.LIMIT_REACHED);
    release(limiter, sheddable, 0, 7);
    // 3 in flight: a sheddable request of cost 3 would bring 6 (share 5); one of cost 2 fits.
    assertShed(limiter.tryAcquire(3, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);
    long two = limiter.tryAcquire(2, Priority.SHEDDABLE);
    assertThat(Ticket.isPermit(two)).isTrue();
    // A cost above the limit is refused as LIMIT_REACHED at any level.
    long big = limiter.tryAcquire(LIMIT, Priority.CRITICAL_PLUS);
    assertShed(big, RejectReason.LIMIT_REACHED);

    release(limiter, sheddable, 7, LIMIT);
    assertThat(limiter.release(two, Outcome.SUCCESS)).isTrue();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void sharesLapseAfterHoldWindowsWithoutContentionAndTheWholeLimitIsAnyonesAgain() {
    WindowedLimiter limiter = limiter(LIMIT);
    long[] sheddable = acquire(limiter, Priority.SHEDDABLE, LIMIT);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.LIMIT_REACHED);
    release(limiter, sheddable, 0, LIMIT);
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.SHEDDABLE_PLUS.ordinal());

    for (int window = 0; window < WindowedLimiter.HOLD_WINDOWS; window++) {
      closeWindow(limiter);
      assertThat(limiter.cappedFrom()).as("after %d windows", window + 1)
          .isEqualTo(Priority.SHEDDABLE_PLUS.ordinal());
    }
    long[] capped = acquire(limiter, Priority.SHEDDABLE, 5);
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);
    release(limiter, capped, 0, capped.length);

    closeWindow(limiter);
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.LEVELS);
    release(limiter, acquire(limiter, Priority.SHEDDABLE, LIMIT), 0, LIMIT);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void sharesStayInForceWhileHigherWorkUsesTheRoomReservedForIt() {
    WindowedLimiter limiter = limiter(LIMIT);
    long[] sheddable = acquire(limiter, Priority.SHEDDABLE, LIMIT);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.LIMIT_REACHED);
    release(limiter, sheddable, 0, LIMIT);
    // Critical work holds 6 units, above sheddable work's share of 5, without being refused.
    long[] critical = acquire(limiter, Priority.CRITICAL, 6);
    for (int window = 0; window < 3 * WindowedLimiter.HOLD_WINDOWS; window++) {
      closeWindow(limiter);
    }
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.SHEDDABLE_PLUS.ordinal());
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);

    // Once critical work stays within what sheddable work may use, the shares lapse.
    release(limiter, critical, 0, critical.length);
    for (int window = 0; window <= WindowedLimiter.HOLD_WINDOWS; window++) {
      closeWindow(limiter);
    }
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.LEVELS);
    release(limiter, acquire(limiter, Priority.SHEDDABLE, LIMIT), 0, LIMIT);
  }

  @Test
  void aCappedLevelsOwnDemandDoesNotKeepItCapped() {
    WindowedLimiter limiter = limiter(LIMIT);
    long[] critical = acquire(limiter, Priority.CRITICAL, LIMIT);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL_PLUS), RejectReason.LIMIT_REACHED);
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.CRITICAL.ordinal());
    // Critical work alone holds 7 units, above the lowest share (5) but within its own (9).
    release(limiter, critical, 0, 3);
    for (int window = 0; window <= WindowedLimiter.HOLD_WINDOWS; window++) {
      closeWindow(limiter, Priority.CRITICAL);
    }
    assertThat(limiter.cappedFrom()).isEqualTo(Priority.LEVELS);
    long[] more = acquire(limiter, Priority.CRITICAL, 3);
    release(limiter, critical, 3, LIMIT);
    release(limiter, more, 0, more.length);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void theDefaultSharesAreNinetyEightyAndSeventyPercent() {
    WindowedLimiter limiter = (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(100))
        .build();
    long[] plain = acquire(limiter, Priority.CRITICAL, 100);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL_PLUS), RejectReason.LIMIT_REACHED);
    release(limiter, plain, 0, 100);
    long[] sheddable = acquire(limiter, Priority.SHEDDABLE, 70);
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);
    long[] plus = acquire(limiter, Priority.SHEDDABLE_PLUS, 10);
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE_PLUS), RejectReason.PRIORITY_SHED);
    long[] critical = acquire(limiter, Priority.CRITICAL, 10);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.PRIORITY_SHED);
    long[] top = acquire(limiter, Priority.CRITICAL_PLUS, 10);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL_PLUS), RejectReason.LIMIT_REACHED);
    for (long[] permits : new long[][] {sheddable, plus, critical, top}) {
      release(limiter, permits, 0, permits.length);
    }
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void sharesAreConfigurableAndCheckedNamingTheParameter() {
    WindowedLimiter limiter = (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(LIMIT))
        .priorityShares(1.0, 0.3, 0.0)
        .build();
    long[] plus = acquire(limiter, Priority.SHEDDABLE_PLUS, LIMIT);
    assertShed(limiter.tryAcquire(1, Priority.CRITICAL), RejectReason.LIMIT_REACHED);
    release(limiter, plus, 0, 6);
    // A share of 0: sheddable work waits out the contention entirely; CRITICAL has the whole limit.
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE), RejectReason.PRIORITY_SHED);
    assertShed(limiter.tryAcquire(1, Priority.SHEDDABLE_PLUS), RejectReason.PRIORITY_SHED);
    long[] critical = acquire(limiter, Priority.CRITICAL, 6);
    release(limiter, critical, 0, 6);
    release(limiter, plus, 6, LIMIT);

    assertThatThrownBy(() -> Limiter.newBuilder().priorityShares(1.5, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorityShares critical must be in [0.0, 1.0] but was 1.5");
    assertThatThrownBy(() -> Limiter.newBuilder().priorityShares(0.8, 0.9, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorityShares sheddablePlus must be in [0.0, 0.8] but was 0.9");
    assertThatThrownBy(() -> Limiter.newBuilder().priorityShares(0.8, 0.5, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("priorityShares sheddable must be in [0.0, 0.5] but was NaN");
    assertThatThrownBy(() -> limiter.tryAcquire(1, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("priority");
    assertThatThrownBy(() -> limiter.snapshot().rejected(null, Priority.CRITICAL))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
