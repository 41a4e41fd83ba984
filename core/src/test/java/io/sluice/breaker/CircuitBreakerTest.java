package io.sluice.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker.State;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The breaker's state machine, driven by a manual clock. */
class CircuitBreakerTest {
  /** The open time is kept in units of 2^16 ns, rounded up. */
  private static final long OPEN_UNIT = 1L << 16;
  private static final long WAIT = Duration.ofSeconds(10).toNanos();

  private final ManualClock clock = new ManualClock();

  private CircuitBreaker.Builder builder() {
    return CircuitBreaker.newBuilder()
        .clock(clock)
        .countWindow(10)
        .minimumCalls(5)
        .failureRateThreshold(50)
        .slowCalls(Duration.ofSeconds(1), 100)
        .waitInOpen(Duration.ofSeconds(10))
        .probes(3);
  }

  private static void call(CircuitBreaker breaker, boolean fail) {
    long permit = breaker.tryAcquire();
    assertThat(Ticket.isPermit(permit)).as("admitted: %s", breaker).isTrue();
    assertThat(fail ? breaker.onFailure(permit) : breaker.onSuccess(permit)).isTrue();
  }

  private static void calls(CircuitBreaker breaker, String outcomes) {
    for (char outcome : outcomes.toCharArray()) {
      call(breaker, outcome == 'F');
    }
  }

  private CircuitBreaker openBreaker() {
    CircuitBreaker breaker = builder().build();
    calls(breaker, "FFFFF");
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    return breaker;
  }

  private long[] probes(CircuitBreaker breaker) {
    clock.advanceNanos(breaker.retryAfterNanos());
    long[] probes = new long[3];
    for (int i = 0; i < probes.length; i++) {
      probes[i] = breaker.tryAcquire();
      assertThat(Ticket.isPermit(probes[i])).as("probe %d", i).isTrue();
    }
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    return probes;
  }

  @Test
  void opensOnceTheWindowHoldsTheMinimumCallsAndTheFailureRateReachesTheThreshold() {
    CircuitBreaker breaker = builder().build();

    calls(breaker, "FFFF");
    assertThat(breaker.state()).as("4 calls: below the minimum of 5").isEqualTo(State.CLOSED);
    calls(breaker, "F");

    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void staysClosedBelowTheFailureRateThreshold() {
    CircuitBreaker breaker = builder().build();

    calls(breaker, "SFSFSSFSFS");

    CircuitBreakerSnapshot snapshot = breaker.snapshot();
    assertThat(snapshot.state()).isEqualTo(State.CLOSED);
    assertThat(snapshot.windowCalls()).isEqualTo(10);
    assertThat(snapshot.windowFailures()).isEqualTo(4);
    assertThat(snapshot.failureRate()).isEqualTo(40.0);
    assertThat(snapshot.retryAfterNanos()).isZero();
  }

  @Test
  void anOpenBreakerFailsFastWithTheRemainingOpenTime() {
    CircuitBreaker breaker = openBreaker();

    long refused = breaker.tryAcquire();
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    long remaining = Ticket.retryAfterNanos(refused);
    assertThat(remaining).isBetween(WAIT, WAIT + OPEN_UNIT - 1);

    clock.advance(Duration.ofSeconds(4));
    assertThat(Ticket.retryAfterNanos(breaker.tryAcquire())).isEqualTo(remaining - 4_000_000_000L);
    assertThat(breaker.retryAfterNanos()).isEqualTo(remaining - 4_000_000_000L);
    AdmissionRejectedException e = Ticket.toException(breaker.tryAcquire());
    assertThat(e.reason()).isEqualTo(RejectReason.CIRCUIT_OPEN);
    assertThat(e.retryAfterSeconds()).isEqualTo(7);

    clock.advanceNanos(remaining - 4_000_000_001L);
    assertThat(Ticket.retryAfterNanos(breaker.tryAcquire())).as("one nanosecond early").isOne();
    clock.advanceNanos(1);
    assertThat(Ticket.isPermit(breaker.tryAcquire())).as("on time: the first probe").isTrue();
  }

  @Test
  void halfOpenAdmitsAtMostTheProbesAndClosesWithAnEmptyWindowWhenTheySucceed() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    long refused = breaker.tryAcquire();
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    assertThat(Ticket.retryAfterNanos(refused)).as("a wait for the probes: the slow-call threshold")
        .isEqualTo(1_000_000_000L);
    assertThat(breaker.onSuccess(probes[0])).isTrue();
    assertThat(breaker.onSuccess(probes[2])).isTrue();
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(Ticket.isRejection(breaker.tryAcquire())).as("a completed probe frees no slot")
        .isTrue();
    assertThat(breaker.onSuccess(probes[1])).isTrue();

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.snapshot().windowCalls()).isZero();
    calls(breaker, "FFFF");
    assertThat(breaker.state()).as("the five failures before opening are forgotten")
        .isEqualTo(State.CLOSED);
  }

  @Test
  void aFailedProbeReopensTheBreakerAndTheOtherProbesNoLongerCount() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    assertThat(breaker.onSuccess(probes[0])).isTrue();
    assertThat(breaker.onFailure(probes[1])).isTrue();

    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.retryAfterNanos()).isBetween(WAIT, WAIT + OPEN_UNIT - 1);
    assertThat(breaker.onSuccess(probes[2])).isFalse();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void aSlowProbeReopensTheBreakerEvenIfItSucceeded() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    clock.advance(Duration.ofSeconds(1));
    assertThat(breaker.onSuccess(probes[0])).isTrue();

    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void probesThatNeverReturnReopenTheBreakerOnceOverdue() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker); // never completed: the downstream hangs

    clock.advance(Duration.ofSeconds(5));
    long refused = breaker.tryAcquire(); // the first refusal with every probe out starts the clock
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(Duration.ofSeconds(1).toNanos());

    clock.advance(Duration.ofMillis(999));
    assertThat(Ticket.isRejection(breaker.tryAcquire())).isTrue();
    assertThat(breaker.state()).as("refused for less than the 1 s threshold")
        .isEqualTo(State.HALF_OPEN);

    clock.advance(Duration.ofMillis(1));
    long reopened = breaker.tryAcquire();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(Ticket.reason(reopened)).isEqualTo(RejectReason.CIRCUIT_OPEN);
    assertThat(Ticket.retryAfterNanos(reopened)).isBetween(WAIT, WAIT + OPEN_UNIT);

    assertThat(breaker.onSuccess(probes[0])).as("a late probe belongs to the old round").isFalse();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    long[] next = probes(breaker);
    breaker.onSuccess(next[0]);
    breaker.onSuccess(next[1]);
    breaker.onSuccess(next[2]);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void aRoundWhoseProbesReturnIsNotReopenedByAnEarlierRoundsStamp() {
    CircuitBreaker breaker = openBreaker();
    long[] first = probes(breaker);
    clock.advance(Duration.ofMillis(500));
    assertThat(Ticket.isRejection(breaker.tryAcquire())).isTrue(); // stamps round one
    breaker.onIgnored(first[0]);
    breaker.onIgnored(first[1]);
    breaker.onIgnored(first[2]); // all ignored: a new round
    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);

    long[] second = new long[3];
    for (int i = 0; i < 3; i++) {
      second[i] = breaker.tryAcquire();
      assertThat(Ticket.isPermit(second[i])).isTrue();
    }
    clock.advance(Duration.ofMillis(600)); // 1.1 s after round one's stamp
    assertThat(Ticket.isRejection(breaker.tryAcquire())).isTrue();
    assertThat(breaker.state()).as("round two was stamped just now").isEqualTo(State.HALF_OPEN);
    assertThat(breaker.onSuccess(second[0])).isTrue();
    assertThat(breaker.onSuccess(second[1])).isTrue();
    assertThat(breaker.onSuccess(second[2])).isTrue();
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void probesThatAreAllIgnoredStartANewRound() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    for (long probe : probes) {
      assertThat(breaker.onIgnored(probe)).isTrue();
    }

    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    long[] next = {breaker.tryAcquire(), breaker.tryAcquire(), breaker.tryAcquire()};
    assertThat(Arrays.stream(next).allMatch(Ticket::isPermit)).isTrue();
    assertThat(Ticket.isRejection(breaker.tryAcquire())).isTrue();
    assertThat(breaker.onSuccess(probes[0])).as("a probe of the previous round").isFalse();
    breaker.onIgnored(next[0]);
    breaker.onIgnored(next[1]);
    breaker.onSuccess(next[2]);
    assertThat(breaker.state()).as("one success and the rest ignored").isEqualTo(State.CLOSED);
  }

  @Test
  void releaseCountsEachOutcomeInTheClosedWindowAsItsShorthandDoes() {
    CircuitBreaker breaker = builder().build();

    assertThat(breaker.release(breaker.tryAcquire(), Outcome.SUCCESS)).isTrue();
    assertThat(breaker.release(breaker.tryAcquire(), Outcome.DROPPED)).isTrue();
    assertThat(breaker.release(breaker.tryAcquire(), Outcome.IGNORED)).isTrue();
    CircuitBreakerSnapshot s = breaker.snapshot();
    assertThat(s.windowCalls()).as("SUCCESS and DROPPED count; IGNORED does not").isEqualTo(2);
    assertThat(s.windowFailures()).as("DROPPED is a failure").isEqualTo(1);

    for (int i = 0; i < 3; i++) {
      assertThat(breaker.state()).isEqualTo(State.CLOSED);
      assertThat(breaker.release(breaker.tryAcquire(), Outcome.DROPPED)).isTrue();
    }
    assertThat(breaker.state()).as("4 failures of 5 calls").isEqualTo(State.OPEN);
  }

  @Test
  void probesReleasedAsSuccessCloseTheBreakerAndADroppedProbeReopensIt() {
    CircuitBreaker closing = openBreaker();
    for (long probe : probes(closing)) {
      assertThat(closing.release(probe, Outcome.SUCCESS)).isTrue();
    }
    assertThat(closing.state()).isEqualTo(State.CLOSED);

    CircuitBreaker reopening = openBreaker();
    long[] probes = probes(reopening);
    assertThat(reopening.release(probes[0], Outcome.DROPPED)).isTrue();
    assertThat(reopening.state()).isEqualTo(State.OPEN);
    assertThat(reopening.release(probes[1], Outcome.SUCCESS)).as("a probe of a closed round")
        .isFalse();
  }

  @Test
  void probesReleasedAsIgnoredStartANewRound() {
    CircuitBreaker breaker = openBreaker();
    for (long probe : probes(breaker)) {
      assertThat(breaker.release(probe, Outcome.IGNORED)).isTrue();
    }

    assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
    assertThat(Ticket.isPermit(breaker.tryAcquire())).as("a new round of probes").isTrue();
  }

  @Test
  void aProbeIsReleasedOnceWhateverTheOutcomeAndANullOutcomeReleasesNothing() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    assertThatThrownBy(() -> breaker.release(probes[0], null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("outcome must not be null");
    assertThat(breaker.release(probes[0], Outcome.SUCCESS)).as("still held").isTrue();
    for (Outcome outcome : Outcome.values()) {
      assertThat(breaker.release(probes[0], outcome)).as("again as %s", outcome).isFalse();
      assertThat(breaker.onRefused(probes[0], 0)).isFalse();
    }
    assertThat(breaker.release(probes[1], Outcome.SUCCESS)).isTrue();
    assertThat(breaker.state()).as("two of three probes are done").isEqualTo(State.HALF_OPEN);
    assertThat(breaker.release(Ticket.rejection(RejectReason.CIRCUIT_OPEN, 0), Outcome.SUCCESS))
        .as("a rejection is no permit").isFalse();
  }

  @Test
  void aSecondCompletionOfAProbeIsIgnored() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    assertThat(breaker.onSuccess(probes[0])).isTrue();
    assertThat(breaker.onSuccess(probes[0])).isFalse();
    assertThat(breaker.onFailure(probes[0])).as("nor can it fail afterwards").isFalse();
    assertThat(breaker.onSuccess(probes[1])).isTrue();

    assertThat(breaker.state()).as("two of three probes are done").isEqualTo(State.HALF_OPEN);
  }

  /**
   * A probe permit carries its slot index in bits 41-45 (see PackedCircuitBreaker). A forged or
   * corrupted ticket naming a slot this round has not issued must count nothing: it used to mark
   * the slot done (so the round closed on one real success out of three), and an index past the
   * 20 slots spilled into the success count.
   */
  @Test
  void aProbePermitForASlotNotIssuedCountsNothing() {
    CircuitBreaker breaker = openBreaker();
    clock.advanceNanos(breaker.retryAfterNanos());
    long first = breaker.tryAcquire();
    assertThat(Ticket.isPermit(first)).isTrue();
    long slotMask = 0x1FL << 41;
    for (long index : new long[] {1, 2, 19, 20, 31}) {
      long forged = first & ~slotMask | index << 41;
      assertThat(breaker.onSuccess(forged)).as("slot %d, not issued", index).isFalse();
      assertThat(breaker.onIgnored(forged)).as("slot %d, not issued", index).isFalse();
    }
    assertThat(breaker.onSuccess(first)).isTrue();
    assertThat(breaker.state()).as("one of three probes has reported").isEqualTo(State.HALF_OPEN);

    long second = breaker.tryAcquire();
    long third = breaker.tryAcquire();
    assertThat(Ticket.isRejection(breaker.tryAcquire())).as("three probes per round").isTrue();
    assertThat(breaker.onFailure(first & ~slotMask | 2L << 41))
        .as("slot 2 is issued now: a forged copy of it counts, as with any permit").isTrue();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    assertThat(breaker.onSuccess(second)).as("the round is over").isFalse();
    assertThat(breaker.onSuccess(third)).isFalse();
  }

  @Test
  void aPermitFromAnEarlierStateCountsNothing() {
    CircuitBreaker breaker = builder().build();
    long early = breaker.tryAcquire();
    calls(breaker, "FFFFF");

    assertThat(breaker.onFailure(early)).isFalse();
    long[] probes = probes(breaker);
    for (long probe : probes) {
      breaker.onSuccess(probe);
    }
    assertThat(breaker.onFailure(early)).isFalse();
    assertThat(breaker.snapshot().windowCalls()).isZero();
  }

  @Test
  void aRejectionTicketIsNotAPermit() {
    CircuitBreaker breaker = openBreaker();
    long refused = breaker.tryAcquire();

    assertThat(breaker.onSuccess(refused)).isFalse();
    assertThat(breaker.onRefused(refused, Duration.ofHours(1).toNanos())).isFalse();
    assertThat(breaker.retryAfterNanos()).as("a call never made imposes nothing")
        .isLessThan(WAIT + OPEN_UNIT);
  }

  @Test
  void slowCallsOpenTheBreakerAtTheirOwnThreshold() {
    CircuitBreaker breaker = builder().slowCalls(Duration.ofMillis(100), 60).build();

    for (int i = 0; i < 10; i++) {
      long permit = breaker.tryAcquire();
      clock.advance(Duration.ofMillis(i % 2 == 0 ? 99 : 100));
      breaker.onSuccess(permit);
    }
    assertThat(breaker.snapshot().windowSlowCalls()).isEqualTo(5);
    assertThat(breaker.state()).as("50% slow, below 60%").isEqualTo(State.CLOSED);

    long permit = breaker.tryAcquire();
    clock.advance(Duration.ofMillis(150));
    breaker.onSuccess(permit);

    assertThat(breaker.state()).as("6 of the last 10 are slow").isEqualTo(State.OPEN);
  }

  @Test
  void theCountWindowForgetsItsOldestCalls() {
    CircuitBreaker breaker = builder().build();
    calls(breaker, "FFFF" + "SSSSSSSSSS");

    calls(breaker, "FFFF");
    assertThat(breaker.state()).as("40% of the last 10").isEqualTo(State.CLOSED);
    calls(breaker, "F");

    // All calls together would be 9 of 19 (47%): only the sliding window opens the breaker.
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void theTimeWindowForgetsCallsOlderThanItsLength() {
    CircuitBreaker breaker = builder().timeWindow(Duration.ofSeconds(10)).build();
    calls(breaker, "FFFF");

    clock.advance(Duration.ofSeconds(11));
    calls(breaker, "FFFF");
    assertThat(breaker.state()).as("4 calls in the last 10 s: below the minimum")
        .isEqualTo(State.CLOSED);
    assertThat(breaker.snapshot().windowCalls()).isEqualTo(4);
    calls(breaker, "F");

    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  @Test
  void aRefusalWithRetryAfterOpensTheBreakerForAtLeastThatLong() {
    CircuitBreaker breaker = builder().maxRetryAfter(Duration.ofMinutes(1)).build();
    long first = breaker.tryAcquire();
    long second = breaker.tryAcquire();
    long third = breaker.tryAcquire();

    assertThat(breaker.onRefused(first, Duration.ofSeconds(42).toNanos())).isTrue();
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    long fortyTwo = Duration.ofSeconds(42).toNanos();
    assertThat(breaker.retryAfterNanos()).isBetween(fortyTwo, fortyTwo + OPEN_UNIT - 1);

    breaker.onRefused(second, Duration.ofSeconds(5).toNanos());
    assertThat(breaker.retryAfterNanos()).as("a shorter Retry-After does not shorten it")
        .isBetween(fortyTwo, fortyTwo + OPEN_UNIT - 1);

    breaker.onRefused(third, Duration.ofHours(1).toNanos());
    long minute = Duration.ofMinutes(1).toNanos();
    assertThat(breaker.retryAfterNanos()).as("capped by maxRetryAfter")
        .isBetween(minute, minute + OPEN_UNIT - 1);
  }

  @Test
  void aRefusalWithoutRetryAfterIsJustAFailure() {
    CircuitBreaker breaker = builder().build();
    long permit = breaker.tryAcquire();

    assertThat(breaker.onRefused(permit, -1)).isTrue();

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
    assertThat(breaker.snapshot().windowFailures()).isEqualTo(1);
  }

  @Test
  void aZeroMaxRetryAfterTurnsOffHonouringRefusals() {
    CircuitBreaker breaker = builder().maxRetryAfter(Duration.ZERO).build();
    long permit = breaker.tryAcquire();

    breaker.onRefused(permit, Duration.ofSeconds(30).toNanos());

    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void aRefusalDuringHalfOpenReopensForTheRetryAfter() {
    CircuitBreaker breaker = openBreaker();
    long[] probes = probes(breaker);

    breaker.onRefused(probes[0], Duration.ofSeconds(20).toNanos());

    assertThat(breaker.state()).isEqualTo(State.OPEN);
    long twenty = Duration.ofSeconds(20).toNanos();
    assertThat(breaker.retryAfterNanos()).isBetween(twenty, twenty + OPEN_UNIT - 1);
  }

  @Test
  void badConfigurationNamesTheParameterTheValueAndTheRange() {
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().countWindow(0))
        .hasMessage("countWindow calls must be in [1, 10000] but was 0");
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().timeWindow(Duration.ofMillis(1)))
        .hasMessage("timeWindow length must be in [PT0.01S, PT1H] but was PT0.001S");
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().failureRateThreshold(0))
        .hasMessage("failureRateThreshold must be in (0.0, 100.0] but was 0.0");
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().slowCalls(Duration.ofSeconds(1), 101))
        .hasMessage("slowCalls ratePercent must be in (0.0, 100.0] but was 101.0");
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().probes(21))
        .hasMessage("probes must be in [1, 20] but was 21");
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().waitInOpen(Duration.ZERO))
        .hasMessage("waitInOpen must be in [PT0.001S, PT24H] but was PT0S");
    assertThatThrownBy(() -> CircuitBreaker.newBuilder().countWindow(10).minimumCalls(11).build())
        .hasMessage("minimumCalls (for a countWindow of 10 calls) must be in [1, 10] but was 11");
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    CircuitBreaker breaker = CircuitBreaker.newBuilder().clock(clock).build();
    for (int i = 0; i < 19; i++) {
      call(breaker, true);
    }
    assertThat(breaker.state()).as("19 calls: below the default minimum of 20")
        .isEqualTo(State.CLOSED);
    call(breaker, true);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
    long thirty = Duration.ofSeconds(30).toNanos();
    assertThat(breaker.retryAfterNanos()).isBetween(thirty, thirty + OPEN_UNIT - 1);
    clock.advance(Duration.ofSeconds(31));
    for (int i = 0; i < 5; i++) {
      assertThat(Ticket.isPermit(breaker.tryAcquire())).as("default probe %d", i).isTrue();
    }
    assertThat(Ticket.isRejection(breaker.tryAcquire())).as("5 probes by default").isTrue();
  }
}
