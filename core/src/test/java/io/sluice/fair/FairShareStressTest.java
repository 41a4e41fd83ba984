package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads acquire through one gate for tenants of different weights, with random costs and
 * outcomes, hand-overs to other threads, double releases, and a table of tenants too small for
 * them (evictions and the overflow entry race with admissions). Invariants: the units admitted at
 * once never exceed the limit; every permit is released exactly once and every second release is
 * refused; afterwards the limiter, every tenant and the active weight are back to zero.
 */
@Tag("stress")
class FairShareStressTest {
  private static final int THREADS = 8;
  private static final int OPERATIONS = 100_000;
  private static final int TENANTS = 12;
  private static final int HELD = 6;

  /** A permit and what it holds. */
  private record Held(long permit, int tenant, int cost) {}

  /** What the workers counted. */
  private static final class Counts {
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger maxActive = new AtomicInteger();
    final AtomicLongArray byTenant = new AtomicLongArray(TENANTS);
    final AtomicLong admitted = new AtomicLong();
    final AtomicLong released = new AtomicLong();
    final AtomicLong fairShare = new AtomicLong();
    final AtomicLong doubleReleases = new AtomicLong();
    final AtomicLong unexpected = new AtomicLong();
  }

  private static void hammer(FairShare<String> gate, ManualClock clock, long seed, Counts counts)
      throws InterruptedException {
    ConcurrentLinkedQueue<Held> handOver = new ConcurrentLinkedQueue<>();
    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      Held[] held = new Held[HELD];
      int holding = 0;
      for (int i = 0; i < OPERATIONS; i++) {
        clock.advanceNanos(random.nextInt(200_000));
        Held foreign = handOver.poll();
        if (foreign != null) {
          finish(gate, foreign, 0, counts);
        }
        if (holding == HELD || (holding > 0 && random.nextBoolean())) {
          int k = random.nextInt(holding);
          Held permit = held[k];
          held[k] = held[--holding];
          finish(gate, permit, random.nextInt(100), counts);
          continue;
        }
        // Tenant 0 floods (a third of all requests); the others share the rest.
        int tenant = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(TENANTS - 1);
        int cost = 1 + random.nextInt(4);
        long ticket = gate.tryAcquire("tenant-" + tenant, cost);
        if (Ticket.isRejection(ticket)) {
          if (Ticket.reason(ticket) == RejectReason.FAIR_SHARE) {
            counts.fairShare.incrementAndGet();
          }
          continue;
        }
        counts.admitted.incrementAndGet();
        counts.byTenant.addAndGet(tenant, cost);
        counts.maxActive.accumulateAndGet(counts.active.addAndGet(cost), Math::max);
        Held permit = new Held(ticket, tenant, cost);
        if (random.nextInt(10) == 0) {
          handOver.add(permit);
        } else {
          held[holding++] = permit;
        }
      }
      for (int k = 0; k < holding; k++) {
        finish(gate, held[k], 0, counts);
      }
    });
    for (Held left; (left = handOver.poll()) != null; ) {
      finish(gate, left, 0, counts);
    }
  }

  /** Releases a permit with a random outcome, and now and then a second time. */
  private static void finish(FairShare<String> gate, Held permit, int dice, Counts counts) {
    Outcome outcome = dice < 60 ? Outcome.SUCCESS : dice < 80 ? Outcome.DROPPED : Outcome.IGNORED;
    counts.active.addAndGet(-permit.cost());
    counts.byTenant.addAndGet(permit.tenant(), -permit.cost());
    if (gate.release(permit.permit(), outcome)) {
      counts.released.incrementAndGet();
    } else {
      counts.unexpected.incrementAndGet();
    }
    if (dice % 7 == 6) {
      if (gate.release(permit.permit(), Outcome.SUCCESS)) {
        counts.unexpected.incrementAndGet();
      }
      counts.doubleReleases.incrementAndGet();
    }
  }

  private static void assertQuiet(FairShare<String> gate, Counts counts) {
    assertThat(counts.unexpected.get()).as("releases against the contract").isZero();
    assertThat(counts.released.get()).isEqualTo(counts.admitted.get());
    assertThat(gate.snapshot().invalidReleases()).isEqualTo(counts.doubleReleases.get());
    assertThat(counts.active.get()).isZero();
    assertThat(gate.limiter().inFlight()).as("units left in the limiter").isZero();
    assertThat(gate.activeWeight()).as("active weight at rest").isZero();
    for (int t = 0; t < TENANTS; t++) {
      assertThat(counts.byTenant.get(t)).isZero();
      assertThat(gate.held("tenant-" + t)).as("tenant %d at rest", t).isZero();
    }
    assertThat(((FairShareGate<String>) gate).overflowHeld()).isZero();
    assertThat(gate.limiter().snapshot().invalidReleases())
        .as("limiter permits released twice").isZero();
  }

  @RepeatedTest(3)
  @Timeout(60)
  void aFixedLimitIsNeverExceededAndNothingIsLeft() throws Exception {
    ManualClock clock = new ManualClock();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(40)).build();
    FairShare<String> gate = FairShare.newBuilder(limiter).clock(clock).maxTenants(8)
        .<String>weights(tenant -> 1 + tenant.length() % 3).build();
    Counts counts = new Counts();

    hammer(gate, clock, System.nanoTime(), counts);

    assertThat(counts.maxActive.get()).isLessThanOrEqualTo(40);
    assertThat(counts.admitted.get()).isGreaterThan(THREADS * OPERATIONS / 10);
    assertThat(counts.fairShare.get()).as("borrowers were refused").isPositive();
    assertThat(gate.snapshot().evictions() + gate.snapshot().overflowAdmissions()).as("the table overflowed")
        .isPositive();
    assertQuiet(gate, counts);
  }

  /** A limit that swings between 8 and 64 at every window, so that it shrinks under load. */
  private static final class Swinging implements LimitAlgorithm {
    @Override
    public int initialLimit() {
      return 64;
    }

    @Override
    public int minLimit() {
      return 8;
    }

    @Override
    public int maxLimit() {
      return 64;
    }

    @Override
    public int update(WindowStats window) {
      return window.limit() == 64 ? 8 : 64;
    }
  }

  @RepeatedTest(2)
  @Timeout(60)
  void aSwingingLimitLeavesNothingBehind() throws Exception {
    ManualClock clock = new ManualClock();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(() -> new Swinging()).build();
    FairShare<String> gate = FairShare.newBuilder(limiter).clock(clock).maxTenants(8).build();
    Counts counts = new Counts();

    hammer(gate, clock, System.nanoTime(), counts);

    assertThat(counts.maxActive.get()).isLessThanOrEqualTo(64);
    assertThat(limiter.snapshot().windowsClosed()).as("the limit swung").isGreaterThan(10);
    assertQuiet(gate, counts);
  }
}
