package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate's rule, one step at a time, with a fixed limit and a manual clock. */
class FairShareTest {
  private final ManualClock clock = new ManualClock();

  private Limiter limiter(int limit) {
    return Limiter.newBuilder().algorithm(FixedLimit.of(limit)).clock(clock).build();
  }

  private FairShare<String> gate(Limiter limiter, double reserve) {
    return FairShare.newBuilder(limiter).reserve(reserve).clock(clock).build();
  }

  /** Acquires cost-1 permits for {@code tenant} until refused; returns the refusal. */
  private static long fill(FairShare<String> gate, String tenant, Deque<Long> permits) {
    for (;;) {
      long ticket = gate.tryAcquire(tenant);
      if (Ticket.isRejection(ticket)) {
        return ticket;
      }
      permits.add(ticket);
    }
  }

  private static int free(Limiter limiter) {
    return limiter.limit() - limiter.inFlight();
  }

  @Test
  void aTenantAloneMayUseTheWholeLimit() {
    Limiter limiter = limiter(10);
    FairShare<String> gate = gate(limiter, 0.2);

    long refusal = fill(gate, "a", new ArrayDeque<>());

    assertThat(gate.held("a")).isEqualTo(10);
    assertThat(Ticket.reason(refusal)).isEqualTo(RejectReason.LIMIT_REACHED);
    assertThat(gate.snapshot().fairShareRejections()).isZero();
  }

  @Test
  void aBorrowerLeavesTheReserveToTenantsWithinTheirShare() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.1);
    assertThat(Ticket.isPermit(gate.tryAcquire("b"))).isTrue();

    long refusal = fill(gate, "a", new ArrayDeque<>());

    // a's share is 50 (two tenants active): beyond it, it borrows, and stops short of the limit.
    assertThat(Ticket.reason(refusal)).isEqualTo(RejectReason.FAIR_SHARE);
    assertThat(gate.held("a")).isGreaterThan(50);
    int room = free(limiter);
    double shares = (gate.held("a") + 1) * 2 / 100.0;
    assertThat((double) room).as("left free")
        .isGreaterThan(0.1 * 100 * Math.min(1, shares - 1) - 1);
    // b, within its share, takes every unit left, and meets only the limit.
    long last = fill(gate, "b", new ArrayDeque<>());
    assertThat(gate.held("b")).isEqualTo(1 + room);
    assertThat(Ticket.reason(last)).isEqualTo(RejectReason.LIMIT_REACHED);
  }

  @Test
  void withNoReserveBorrowersTakeEveryUnit() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0);
    assertThat(Ticket.isPermit(gate.tryAcquire("b"))).isTrue();

    long refusal = fill(gate, "a", new ArrayDeque<>());

    assertThat(gate.held("a")).isEqualTo(99);
    assertThat(Ticket.reason(refusal)).isEqualTo(RejectReason.LIMIT_REACHED);
  }

  @Test
  void aTenantWithinItsShareIsRefusedOnlyByTheLimit() {
    Limiter limiter = limiter(90);
    FairShare<String> gate = gate(limiter, 0.1);
    String[] others = {"b", "c", "d"};
    for (String tenant : others) {
      assertThat(Ticket.isPermit(gate.tryAcquire(tenant))).isTrue();
    }
    fill(gate, "a", new ArrayDeque<>());

    // Shares are 90 / 4: each of b, c, d asks while below it, and is never refused FAIR_SHARE.
    long fairBefore = gate.snapshot().fairShareRejections();
    for (int round = 0; round < 30; round++) {
      for (String tenant : others) {
        if (gate.held(tenant) * 4 < 90) {
          long ticket = gate.tryAcquire(tenant);
          if (Ticket.isRejection(ticket)) {
            assertThat(Ticket.reason(ticket)).isEqualTo(RejectReason.LIMIT_REACHED);
          }
        }
      }
    }
    assertThat(gate.snapshot().fairShareRejections()).isEqualTo(fairBefore);
    assertThat(limiter.inFlight()).isEqualTo(90);
  }

  /**
   * Both tenants flood: every round, the oldest permit completes, then each tenant (in turn
   * first) asks once for {@code cost[i]} units.
   */
  private static void floodWithChurn(FairShare<String> gate, String[] tenants, int[] cost,
      int rounds) {
    Deque<Long> inOrder = new ArrayDeque<>();
    for (int round = 0; round < rounds; round++) {
      if (!inOrder.isEmpty()) {
        assertThat(gate.release(inOrder.poll(), Outcome.SUCCESS)).isTrue();
      }
      for (int i = 0; i < tenants.length; i++) {
        int t = (i + round) % tenants.length;
        long ticket = gate.tryAcquire(tenants[t], cost[t]);
        if (Ticket.isPermit(ticket)) {
          inOrder.add(ticket);
        }
      }
    }
  }

  @Test
  void weightsScaleTheShares() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = FairShare.newBuilder(limiter).clock(clock)
        .<String>weights(tenant -> tenant.equals("gold") ? 3 : 1).build();

    floodWithChurn(gate, new String[] {"gold", "free"}, new int[] {1, 1}, 2_000);

    assertThat(gate.activeWeight()).isEqualTo(4);
    assertThat(gate.held("gold")).isBetween(72L, 76L);
    assertThat(gate.held("free")).isBetween(24L, 28L);
  }

  @Test
  void costCountsInTheShareNotRequests() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.05);

    floodWithChurn(gate, new String[] {"summaries", "questions"}, new int[] {10, 1}, 2_000);

    // Equal shares of units, so about ten small requests in flight for every big one.
    assertThat(gate.held("summaries")).isBetween(40L, 60L);
    assertThat(gate.held("questions")).isBetween(40L, 60L);
  }

  @Test
  void borrowedUnitsGoBackToTheOwnerAsTheBorrowersWorkCompletes() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.05);
    Deque<Long> streams = new ArrayDeque<>();
    fill(gate, "a", streams);
    assertThat(gate.held("a")).isEqualTo(100);

    // b returns while a's long streams hold everything: refused by the limit, for now.
    long first = gate.tryAcquire("b");
    assertThat(Ticket.reason(first)).isEqualTo(RejectReason.LIMIT_REACHED);

    // As a's streams end one by one, a (borrowing) is refused, and b gets every freed unit.
    List<Long> mine = new ArrayList<>();
    while (gate.held("b") < 50) {
      assertThat(gate.release(streams.poll(), Outcome.SUCCESS)).isTrue();
      long again = gate.tryAcquire("a");
      assertThat(Ticket.isRejection(again)).as("a re-admitted with b at %d", gate.held("b"))
          .isTrue();
      assertThat(Ticket.reason(again)).isEqualTo(RejectReason.FAIR_SHARE);
      long ticket = gate.tryAcquire("b");
      assertThat(Ticket.isPermit(ticket)).as("b admitted at %d", gate.held("b")).isTrue();
      mine.add(ticket);
    }
    assertThat(gate.held("a")).isEqualTo(50);
    assertThat(limiter.inFlight()).isEqualTo(100);
  }

  @Test
  void aClaimKeepsRoomForARequestLargerThanTheReserve() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.05);
    assertThat(Ticket.isPermit(gate.tryAcquire("b"))).isTrue();
    Deque<Long> flood = new ArrayDeque<>();
    fill(gate, "a", flood);
    assertThat(free(limiter)).isLessThan(20);

    long big = gate.tryAcquire("b", 20);
    assertThat(Ticket.reason(big)).isEqualTo(RejectReason.LIMIT_REACHED);

    // a keeps flooding as its work completes; it takes nothing until b's 20 units are free.
    while (free(limiter) < 20) {
      gate.release(flood.poll(), Outcome.SUCCESS);
      long ticket = gate.tryAcquire("a");
      if (free(limiter) < 20) {
        assertThat(Ticket.isRejection(ticket)).as("a admitted at %d free", free(limiter))
            .isTrue();
      }
    }
    assertThat(Ticket.isPermit(gate.tryAcquire("b", 20))).isTrue();
  }

  @Test
  void aClaimLapsesAfterTwiceItsRetryAfter() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.05);
    assertThat(Ticket.isPermit(gate.tryAcquire("b"))).isTrue();
    Deque<Long> flood = new ArrayDeque<>();
    fill(gate, "a", flood);
    long big = gate.tryAcquire("b", 20);
    assertThat(Ticket.reason(big)).isEqualTo(RejectReason.LIMIT_REACHED);
    gate.release(flood.poll(), Outcome.SUCCESS);
    gate.release(flood.poll(), Outcome.SUCCESS);
    assertThat(Ticket.reason(gate.tryAcquire("a"))).isEqualTo(RejectReason.FAIR_SHARE);

    // b never came back: after twice its Retry-After, a borrows the room again.
    clock.advanceNanos(2 * Ticket.retryAfterNanos(big) + Duration.ofMillis(2).toNanos());
    assertThat(Ticket.isPermit(gate.tryAcquire("a"))).isTrue();
  }

  @Test
  void aFairShareRefusalSaysComeBackLaterTheMoreSharesTheTenantHolds() {
    Limiter limiter = limiter(100);
    FairShare<String> gate = gate(limiter, 0.1);
    assertThat(Ticket.isPermit(gate.tryAcquire("b"))).isTrue();
    fill(gate, "a", new ArrayDeque<>());

    long refusal = gate.tryAcquire("a");

    assertThat(Ticket.reason(refusal)).isEqualTo(RejectReason.FAIR_SHARE);
    double shares = (gate.held("a") + 1) * 2 / 100.0;
    long base = (long) (limiter.retryAfterNanos() * shares);
    assertThat(Ticket.retryAfterNanos(refusal)).isBetween(base, (long) (base * 1.5) + 1);
    assertThat(gate.snapshot().fairShareRejections()).isEqualTo(2);
  }

  @Test
  void aPermitIsReleasedExactlyOnce() {
    Limiter limiter = limiter(10);
    FairShare<String> gate = gate(limiter, 0.05);
    FairShare<String> other = gate(limiter(10), 0.05);
    long permit = gate.tryAcquire("a", 3);
    long foreign = other.tryAcquire("a");

    assertThat(gate.release(permit + 1, Outcome.SUCCESS)).isFalse();
    assertThat(gate.release(foreign, Outcome.SUCCESS)).isFalse();
    assertThat(gate.release(Ticket.rejection(RejectReason.FAIR_SHARE, 5), Outcome.DROPPED))
        .isFalse();
    assertThat(gate.held("a")).isEqualTo(3);
    assertThat(gate.release(permit, Outcome.DROPPED)).isTrue();
    assertThat(gate.release(permit, Outcome.SUCCESS)).isFalse();

    assertThat(gate.snapshot().invalidReleases()).isEqualTo(4);
    assertThat(gate.held("a")).isZero();
    assertThat(gate.activeWeight()).isZero();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.snapshot().invalidReleases()).isZero();
  }

  @Test
  void argumentsAreChecked() {
    FairShare<String> gate = FairShare.newBuilder(limiter(10)).clock(clock)
        .<String>weights(tenant -> tenant.length()).build();

    assertThatThrownBy(() -> gate.tryAcquire(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tenant");
    assertThatThrownBy(() -> gate.tryAcquire("a", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cost").hasMessageContaining("0");
    assertThatThrownBy(() -> gate.tryAcquire("", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight").hasMessageContaining("[1, 1000000]");
    assertThatThrownBy(() -> gate.release(1, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outcome");
    assertThat(gate.tenants()).isZero();
    assertThatThrownBy(() -> FairShare.newBuilder(null)).isInstanceOf(
        IllegalArgumentException.class).hasMessageContaining("limiter");
    assertThatThrownBy(() -> FairShare.newBuilder(limiter(10)).reserve(0.6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reserve").hasMessageContaining("0.6").hasMessageContaining("0.5");
    assertThatThrownBy(() -> FairShare.newBuilder(limiter(10)).maxTenants(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTenants");
  }

  @Test
  void activeWeightCountsTheTenantsHoldingUnits() {
    FairShare<String> gate = FairShare.newBuilder(limiter(100)).clock(clock)
        .<String>weights(tenant -> tenant.length()).build();
    long abc = gate.tryAcquire("abc");
    long ab = gate.tryAcquire("ab");
    long ab2 = gate.tryAcquire("ab");
    assertThat(gate.activeWeight()).isEqualTo(5);

    gate.release(ab, Outcome.SUCCESS);
    assertThat(gate.activeWeight()).isEqualTo(5);
    gate.release(ab2, Outcome.IGNORED);
    assertThat(gate.activeWeight()).isEqualTo(3);
    gate.release(abc, Outcome.SUCCESS);
    assertThat(gate.activeWeight()).isZero();
  }
}
