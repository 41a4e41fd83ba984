package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Token quotas on a manual clock: refunds, debts and their exact Retry-After, exactly-once
 * reconciliation, eviction while a reservation is pending, the bounded table of reservations, and
 * bad input.
 */
class TokenQuotaTest {
  /** 6,000 tokens per minute: one token refills every 10 ms. */
  private static final long TOKEN_NANOS = 10_000_000L;

  private final ManualClock clock = new ManualClock();

  private TokenQuota<String> quota() {
    return TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1)).burst(1000).clock(clock)
        .build();
  }

  private static long admitted(long ticket) {
    assertThat(Ticket.isPermit(ticket)).as("admitted: %s", Ticket.toString(ticket)).isTrue();
    return ticket;
  }

  @Test
  void aRefundGivesTheUnusedEstimateBackAtOnce() {
    TokenQuota<String> quota = quota();
    long reservation = admitted(quota.tryAcquire("k", 600));
    assertThat(quota.availableCost("k")).isEqualTo(400);
    assertThat(quota.pending()).isEqualTo(1);

    assertThat(quota.reconcile(reservation, 100)).isTrue();

    assertThat(quota.availableCost("k")).isEqualTo(900);
    assertThat(quota.pending()).isZero();
    assertThat(quota.debt("k")).isZero();
  }

  @Test
  void aRefundNeverFillsTheBucketBeyondFull() {
    TokenQuota<String> quota = quota();
    long first = admitted(quota.tryAcquire("k", 600));
    clock.advanceNanos(200 * TOKEN_NANOS);
    long second = admitted(quota.tryAcquire("k", 100));
    assertThat(quota.availableCost("k")).isEqualTo(500);

    quota.reconcile(second, 0);
    assertThat(quota.availableCost("k")).as("100 back").isEqualTo(600);
    clock.advanceNanos(300 * TOKEN_NANOS);
    quota.reconcile(first, 0);

    assertThat(quota.availableCost("k")).as("600 back would be 1500: capped at the burst")
        .isEqualTo(1000);
    admitted(quota.tryAcquire("k", 1000));
    assertThat(Ticket.retryAfterNanos(quota.tryAcquire("k", 1))).isEqualTo(TOKEN_NANOS);
  }

  @Test
  void aDebtDelaysTheNextAdmissionByExactlyItsRefillTime() {
    TokenQuota<String> quota = quota();
    long reservation = admitted(quota.tryAcquire("k", 500));

    assertThat(quota.reconcile(reservation, 1200)).isTrue();

    assertThat(quota.availableCost("k")).isZero();
    assertThat(quota.debt("k")).isEqualTo(200);
    long refused = quota.tryAcquire("k", 100);
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(Ticket.retryAfterNanos(refused)).as("the debt of 200 and the 100 asked for")
        .isEqualTo(300 * TOKEN_NANOS);
    clock.advanceNanos(300 * TOKEN_NANOS - 1);
    assertThat(Ticket.retryAfterNanos(quota.tryAcquire("k", 100))).isEqualTo(1);
    clock.advanceNanos(1);
    admitted(quota.tryAcquire("k", 100));
    assertThat(quota.snapshot().forgivenDebt()).isZero();
  }

  @Test
  void aKeyOwesAtMostOneBurstAndTheRestIsForgivenAndCounted() {
    TokenQuota<String> quota = quota();
    long reservation = admitted(quota.tryAcquire("k", 1000));

    quota.reconcile(reservation, 1000 + 2500);

    assertThat(quota.debt("k")).isEqualTo(1000);
    assertThat(quota.snapshot().forgivenDebt()).isEqualTo(1500);
    assertThat(Ticket.retryAfterNanos(quota.tryAcquire("k", 1))).isEqualTo(1001 * TOKEN_NANOS);
  }

  @Test
  void aReservationIsReconciledExactlyOnce() {
    TokenQuota<String> quota = quota();
    long reservation = admitted(quota.tryAcquire("k", 600));
    assertThat(quota.reconcile(reservation, 100)).isTrue();

    assertThat(quota.reconcile(reservation, 100)).isFalse();
    assertThat(quota.reconcile(reservation, 0)).isFalse();
    assertThat(quota.reconcile(reservation, 5000)).isFalse();

    assertThat(quota.availableCost("k")).isEqualTo(900);
    assertThat(quota.debt("k")).isZero();
    assertThat(quota.snapshot().invalidReconciliations()).isEqualTo(3);
    assertThat(quota.pending()).isZero();
  }

  @Test
  void aSlotReusedByANewReservationIsNotReconciledByTheOldTicket() {
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1000).maxPending(1).clock(clock).build();
    // Fill every slot, free them all, and take them again: each slot is now in a new generation.
    long[] old = new long[quota.maxPending()];
    for (int i = 0; i < old.length; i++) {
      old[i] = admitted(quota.tryAcquire("k", 1));
    }
    for (long ticket : old) {
      quota.reconcile(ticket, 1);
    }
    long[] current = new long[old.length];
    for (int i = 0; i < current.length; i++) {
      current[i] = admitted(quota.tryAcquire("k", 1));
    }

    for (long ticket : old) {
      assertThat(quota.reconcile(ticket, 0)).isFalse();
    }
    assertThat(quota.pending()).isEqualTo(current.length);
    for (long ticket : current) {
      assertThat(quota.reconcile(ticket, 1)).isTrue();
    }
  }

  @Test
  void rejectionsCorruptedAndForeignTicketsAreNoReservations() {
    TokenQuota<String> quota = quota();
    TokenQuota<String> other = quota();
    long reservation = admitted(quota.tryAcquire("k", 600));
    long foreign = admitted(other.tryAcquire("k", 600));
    long rejection = Ticket.rejection(RejectReason.RATE_LIMITED, 5);

    assertThat(quota.reconcile(rejection, 0)).isFalse();
    assertThat(quota.reconcile(reservation + 1, 0)).isFalse();
    assertThat(quota.reconcile(reservation - 1, 0)).isFalse();
    assertThat(quota.reconcile(reservation ^ 1L << 40, 0)).isFalse();
    assertThat(quota.reconcile(Long.MAX_VALUE, 0)).isFalse();
    assertThat(quota.reconcile(foreign, 0)).isFalse();

    assertThat(quota.snapshot().invalidReconciliations()).isEqualTo(6);
    assertThat(quota.availableCost("k")).isEqualTo(400);
    assertThat(quota.reconcile(reservation, 600)).isTrue();
  }

  @Test
  void badInputFailsWithTheParameterTheValueAndTheRange() {
    TokenQuota<String> quota = quota();

    assertThatThrownBy(() -> quota.tryAcquire(null, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("key must not be null");
    for (int cost : new int[] {0, -1, 1001, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      assertThatThrownBy(() -> quota.tryAcquire("k", cost))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("estimatedCost must be in [1, 1000] but was " + cost);
    }
    assertThatThrownBy(() -> quota.capAvailable("k", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("available must be in [0, 9223372036854775807] but was -1");
    assertThatThrownBy(() -> quota.capAvailable(null, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("key must not be null");
    assertThat(quota.keyCount()).as("nothing tracked").isZero();

    long reservation = admitted(quota.tryAcquire("k", 10));
    assertThatThrownBy(() -> quota.reconcile(reservation, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("actualCost must be in [0, 2147483647] but was -1");
    assertThat(quota.pending()).as("still pending, to be reconciled right").isEqualTo(1);
    assertThat(quota.reconcile(reservation, 3)).isTrue();
    assertThat(quota.availableCost("k")).isEqualTo(997);
  }

  @Test
  void aHugeActualCostIsADebtOfOneBurstNeverAnOverflow() {
    TokenQuota<String> quota = quota();
    long reservation = admitted(quota.tryAcquire("k", 1));

    assertThat(quota.reconcile(reservation, Integer.MAX_VALUE)).isTrue();

    assertThat(quota.debt("k")).isEqualTo(1000);
    assertThat(quota.snapshot().forgivenDebt()).as("1,999 fit: the bucket went from 999 to -1,000")
        .isEqualTo(Integer.MAX_VALUE - 1 - 1999);
    clock.advanceNanos(2000 * TOKEN_NANOS);
    assertThat(quota.availableCost("k")).isEqualTo(1000);
  }

  @Test
  void aKeyEvictedWhileItsReservationIsPendingIsReconciledSafely() {
    TokenQuota<String> quota = quota();
    long refunded = admitted(quota.tryAcquire("a", 100));
    long indebted = admitted(quota.tryAcquire("b", 100));
    clock.advanceNanos(100 * TOKEN_NANOS);
    assertThat(quota.cleanUp()).as("both buckets are full again").isEqualTo(2);
    assertThat(quota.keyCount()).isZero();
    assertThat(quota.pending()).isEqualTo(2);

    assertThat(quota.reconcile(refunded, 0)).isTrue();
    assertThat(quota.keyCount()).as("a refund has nothing to fill").isZero();
    assertThat(quota.availableCost("a")).isEqualTo(1000);

    assertThat(quota.reconcile(indebted, 400)).isTrue();
    assertThat(quota.keyCount()).as("a debt tracks the key again").isEqualTo(1);
    assertThat(quota.availableCost("b")).isEqualTo(700);
    assertThat(quota.pending()).isZero();
  }

  @Test
  void aDebtForAKeyTheFullTableCannotTrackIsForgivenAndCounted() {
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1000).maxKeys(1).clock(clock).build();
    long reservation = admitted(quota.tryAcquire("a", 100));
    clock.advanceNanos(100 * TOKEN_NANOS);
    quota.cleanUp();
    admitted(quota.tryAcquire("busy", 500));

    assertThat(quota.reconcile(reservation, 400)).isTrue();

    assertThat(quota.snapshot().forgivenDebt()).isEqualTo(300);
    assertThat(quota.keyCount()).isEqualTo(1);
    assertThat(quota.availableCost("busy")).isEqualTo(500);
  }

  @Test
  void whenEveryReservationIsHeldAnAdmissionIsRefusedAndChargesNothing() {
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1000).maxPending(100).clock(clock).build();
    assertThat(quota.maxPending()).as("rounded up to a power of two, at least 256").isEqualTo(256);
    long[] held = new long[256];
    for (int i = 0; i < held.length; i++) {
      held[i] = admitted(quota.tryAcquire("k", 1));
    }

    long refused = quota.tryAcquire("k", 7);

    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(1_000_000_000L);
    assertThat(quota.availableCost("k")).isEqualTo(1000 - 256);
    assertThat(quota.snapshot().rejectedForPending()).isEqualTo(1);
    quota.reconcile(held[17], 1);
    admitted(quota.tryAcquire("k", 7));
  }

  @Test
  void theTableOfReservationsGrowsWithTheReservationsHeld() {
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1_000_000).maxPending(1 << 20).clock(clock).build();
    long[] held = new long[5000];
    for (int i = 0; i < held.length; i++) {
      held[i] = admitted(quota.tryAcquire("k" + i % 7, 3));
    }
    assertThat(quota.pending()).isEqualTo(5000);
    for (long ticket : held) {
      assertThat(quota.reconcile(ticket, 3)).isTrue();
    }
    assertThat(quota.pending()).isZero();
    assertThat(quota.availableCost("k0")).isEqualTo(1_000_000 - 3 * 715);
  }

  @Test
  void capAvailableLowersWhatAKeyMayTakeAndNeverRaisesIt() {
    TokenQuota<String> quota = quota();
    quota.capAvailable("k", 300);
    assertThat(quota.availableCost("k")).isEqualTo(300);
    quota.capAvailable("k", 500);
    assertThat(quota.availableCost("k")).isEqualTo(300);
    quota.capAvailable("untracked", 1000);
    assertThat(quota.keyCount()).as("a full cap changes nothing").isEqualTo(1);

    clock.advanceNanos(TOKEN_NANOS / 2);
    quota.capAvailable("k", 200);
    assertThat(quota.availableCost("k")).isEqualTo(200);
    clock.advanceNanos(TOKEN_NANOS / 2);
    assertThat(quota.availableCost("k")).as("the half token refilled before the cap is kept")
        .isEqualTo(201);
  }

  /**
   * At about 11,574 tokens per second the scaled clock is rebased 1.15 s after a bucket's anchor:
   * here between the debt and the admissions that pay it.
   */
  @Test
  void aDebtAndItsRetryAfterStayExactAcrossARebase() {
    long permits = 999_999_937L;
    long period = Duration.ofDays(1).toNanos();
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(permits, Duration.ofNanos(period))
        .burst(6000).clock(clock).build();
    quota.reconcile(admitted(quota.tryAcquire("k", 1)), 0);   // the bucket's anchor: 0
    clock.advanceNanos(1_000_000_000L);
    long reservation = admitted(quota.tryAcquire("k", 3000));
    quota.reconcile(reservation, 9000);
    assertThat(quota.debt("k")).isEqualTo(3000);

    long elapsed = 200_000_000L;
    clock.advanceNanos(elapsed);

    BigInteger refilled = BigInteger.valueOf(elapsed).multiply(BigInteger.valueOf(permits))
        .divide(BigInteger.valueOf(period));
    assertThat(quota.debt("k")).isEqualTo(3000 - refilled.longValueExact());
    long refused = quota.tryAcquire("k", 1);
    // The bucket owes 9,000 - 6,000 and the token asked for: admitted ceil(3,001 * T) after the
    // debt, T = period / permits.
    BigInteger[] wait = BigInteger.valueOf(3001).multiply(BigInteger.valueOf(period))
        .divideAndRemainder(BigInteger.valueOf(permits));
    long expected = wait[0].longValueExact() + (wait[1].signum() > 0 ? 1 : 0) - elapsed;
    assertThat(Ticket.retryAfterNanos(refused)).isEqualTo(expected);
    clock.advanceNanos(expected - 1);
    assertThat(Ticket.isRejection(quota.tryAcquire("k", 1))).isTrue();
    clock.advanceNanos(1);
    admitted(quota.tryAcquire("k", 1));
  }

  @Test
  void aQuotasBucketMayOweOneBurstSoSomeRatesAllowHalfTheBurst() {
    // One token per day plus a prime: the scaled interval is 2 days in ns, so 2^61 / interval
    // bounds a rate limiter's burst at 13,343 and a quota's at half that.
    assertThat(RateLimiter.newBuilder().rate(999_999_937L, Duration.ofDays(1)).burst(10_000)
        .build().burst()).isEqualTo(10_000);
    TokenQuota.Builder builder = TokenQuota.newBuilder()
        .rate(999_999_937L, Duration.ofDays(1)).burst(10_000);
    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("burst").hasMessageContaining("[1, 6671]")
        .hasMessageContaining("10000");
    assertThat(builder.burst(6671).build().burst()).isEqualTo(6671);
  }

  @Test
  void maxPendingIsCheckedWhenSet() {
    assertThatThrownBy(() -> TokenQuota.newBuilder().maxPending(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPending");
    assertThatThrownBy(() -> TokenQuota.newBuilder().maxPending((1 << 24) + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16777216");
    assertThat(TokenQuota.newBuilder().rate(1, Duration.ofSeconds(1)).maxPending(1 << 24)
        .build().maxPending()).isEqualTo(1 << 24);
  }
}
