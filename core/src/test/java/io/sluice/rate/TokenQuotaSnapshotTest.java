package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A token quota's snapshot, on a manual clock: every count, and a double's default snapshot. */
class TokenQuotaSnapshotTest {
  private final ManualClock clock = new ManualClock();

  private static long admitted(long ticket) {
    assertThat(Ticket.isPermit(ticket)).as("admitted: %s", Ticket.toString(ticket)).isTrue();
    return ticket;
  }

  @Test
  void aNewQuotasSnapshotHoldsItsSettingsAndNoCounts() {
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1000).maxKeys(2).maxPending(100).clock(clock).build();

    assertThat(quota.snapshot())
        .isEqualTo(new TokenQuotaSnapshot(1000, 2, 0, 0, 0, 256, 0, 0, 0, 0))
        .hasToString("TokenQuotaSnapshot[burst=1000, maxKeys=2, keys=0, evictions=0, "
            + "rejectedNewKeys=0, maxPending=256, pending=0, rejectedForPending=0, "
            + "invalidReconciliations=0, forgivenDebt=0]");
  }

  @Test
  void theSnapshotCountsWhatReconciliationAndBothBoundsCost() {
    TokenQuota<String> quota = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1000).maxKeys(2).maxPending(1).clock(clock).build();
    long a = admitted(quota.tryAcquire("a", 1000));
    assertThat(quota.reconcile(a, 2500)).as("1,500 over an empty bucket: 500 beyond one burst")
        .isTrue();
    assertThat(quota.reconcile(a, 1)).as("a second reconciliation").isFalse();
    long b = admitted(quota.tryAcquire("b", 10));
    assertThat(Ticket.isRejection(quota.tryAcquire("c", 1))).as("the table of keys is full")
        .isTrue();
    long[] held = new long[255];
    for (int i = 0; i < held.length; i++) {
      held[i] = admitted(quota.tryAcquire("b", 1));
    }
    assertThat(Ticket.isRejection(quota.tryAcquire("b", 1))).as("256 reservations held").isTrue();

    TokenQuotaSnapshot during = quota.snapshot();
    assertThat(during).isEqualTo(new TokenQuotaSnapshot(1000, 2, 2, 0, 1, 256, 256, 1, 1, 500));

    assertThat(quota.reconcile(b, 10)).isTrue();
    for (long reservation : held) {
      assertThat(quota.reconcile(reservation, 0)).isTrue();
    }
    clock.advance(Duration.ofMinutes(1));
    assertThat(quota.cleanUp()).as("a and b have refilled: both idle").isEqualTo(2);

    TokenQuotaSnapshot after = quota.snapshot();
    assertThat(after).isEqualTo(new TokenQuotaSnapshot(1000, 2, 0, 2, 1, 256, 0, 1, 1, 500));
    assertThat(during).as("a snapshot is a value: later work does not change it")
        .isEqualTo(new TokenQuotaSnapshot(1000, 2, 2, 0, 1, 256, 256, 1, 1, 500))
        .isNotEqualTo(after);
    assertThat(after.hashCode())
        .isEqualTo(new TokenQuotaSnapshot(1000, 2, 0, 2, 1, 256, 0, 1, 1, 500).hashCode());
    KeyedRateLimiterSnapshot table = after;
    assertThat(table.evictions()).isEqualTo(2);
    assertThat(table.keys()).isZero();
  }

  /** A test double or decorator needs only the live methods; its default snapshot counts 0. */
  @Test
  void aDoubleWithOnlyTheLiveMethodsIsSnapshottedWithZeroCounts() {
    TokenQuota<String> live = TokenQuota.newBuilder().rate(6000, Duration.ofMinutes(1))
        .burst(1000).clock(clock).build();
    long reservation = admitted(live.tryAcquire("a", 10));
    live.reconcile(reservation, 1);
    live.reconcile(reservation, 1);
    TokenQuota<String> view = new TokenQuota<>() {
      @Override
      public long tryAcquire(String key, int estimatedCost) {
        return live.tryAcquire(key, estimatedCost);
      }

      @Override
      public boolean reconcile(long reservation, int actualCost) {
        return live.reconcile(reservation, actualCost);
      }

      @Override
      public void capAvailable(String key, long available) {
        live.capAvailable(key, available);
      }

      @Override
      public long availableCost(String key) {
        return live.availableCost(key);
      }

      @Override
      public long debt(String key) {
        return live.debt(key);
      }

      @Override
      public int burst() {
        return live.burst();
      }

      @Override
      public long pending() {
        return live.pending();
      }

      @Override
      public int maxPending() {
        return live.maxPending();
      }

      @Override
      public int keyCount() {
        return live.keyCount();
      }

      @Override
      public int maxKeys() {
        return live.maxKeys();
      }

      @Override
      public int cleanUp() {
        return live.cleanUp();
      }
    };
    admitted(view.tryAcquire("b", 5));

    assertThat(live.snapshot().invalidReconciliations()).isEqualTo(1);
    assertThat(view.snapshot())
        .isEqualTo(new TokenQuotaSnapshot(1000, 10_000, 2, 0, 0, 65_536, 1, 0, 0, 0));
  }
}
