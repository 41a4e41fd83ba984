package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.fair.FairShare;
import io.sluice.fair.FairShareSnapshot;
import io.sluice.limit.FixedLimit;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.KeyedRateLimiterSnapshot;
import io.sluice.rate.RateLimiter;
import io.sluice.rate.RateLimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The rate limiters and the fair-share gate are read through their public snapshot() too. */
class GuardSnapshotsTest {
  private final ManualClock clock = new ManualClock();

  @Test
  void aRateLimitersSnapshotHoldsItsBucket() {
    RateLimiter limiter = RateLimiter.newBuilder().rate(10, Duration.ofSeconds(1)).burst(5)
        .clock(clock).build();
    assertThat(limiter.snapshot()).isEqualTo(new RateLimiterSnapshot(5, 5));
    for (int i = 0; i < 3; i++) {
      assertThat(Ticket.isPermit(limiter.tryAcquire())).isTrue();
    }
    assertThat(limiter.snapshot()).isEqualTo(new RateLimiterSnapshot(5, 2));
  }

  @Test
  void aKeyedRateLimitersSnapshotHoldsItsTableAndWhatItsBoundCost() {
    KeyedRateLimiter<String> limiter = KeyedRateLimiter.newBuilder()
        .rate(1, Duration.ofSeconds(1)).burst(1).maxKeys(1).clock(clock).build();
    assertThat(Ticket.isPermit(limiter.tryAcquire("a"))).isTrue();
    long refused = limiter.tryAcquire("b");
    assertThat(Ticket.reason(refused)).isEqualTo(RejectReason.RATE_LIMITED);

    KeyedRateLimiterSnapshot snapshot = limiter.snapshot();
    assertThat(snapshot.burst()).isEqualTo(1);
    assertThat(snapshot.maxKeys()).isEqualTo(1);
    assertThat(snapshot.keys()).isEqualTo(1);
    assertThat(snapshot.rejectedNewKeys()).isEqualTo(1);
    assertThat(snapshot.evictions()).isZero();
    assertThat(snapshot).isEqualTo(KeyedRateLimiterSnapshot.of(1, 1, 1, 0, 1));
  }

  @Test
  void aFairShareGatesSnapshotHoldsItsTenantsAndCounts() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(4)).build();
    FairShare<String> gate = FairShare.newBuilder(limiter).clock(clock).reserve(0).build();
    long a = gate.tryAcquire("a", 2);
    long b = gate.tryAcquire("b", 2);
    assertThat(Ticket.isPermit(a)).isTrue();
    assertThat(Ticket.isPermit(b)).isTrue();
    gate.release(a, Outcome.SUCCESS);
    gate.release(a, Outcome.SUCCESS);

    FairShareSnapshot snapshot = gate.snapshot();
    assertThat(snapshot.tenants()).isEqualTo(gate.tenants()).isPositive();
    assertThat(snapshot.maxTenants()).isEqualTo(gate.maxTenants());
    assertThat(snapshot.activeWeight()).isEqualTo(1);
    assertThat(snapshot.invalidReleases()).isEqualTo(1);
    assertThat(snapshot.fairShareRejections()).isZero();
    assertThat(snapshot.overflowAdmissions()).isZero();
    assertThat(snapshot.evictions()).isZero();
    gate.release(b, Outcome.SUCCESS);
    assertThat(gate.snapshot().activeWeight()).isZero();
  }
}
