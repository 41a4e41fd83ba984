package io.sluice.fair;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads acquire through one gate, take milestone samples, correct costs up and down and
 * release, while other threads sample and adjust the same permits at the same time (before, during
 * and after their release). Invariants: a permit's sample is taken exactly once however many
 * threads ask; in-flight units exceed the limit by at most one extra charge; afterwards the
 * limiter, every tenant and the active weight are back to zero, and no release was lost or
 * doubled.
 */
@Tag("stress")
class FairSharePassThroughStressTest {
  private static final int OWNERS = 6;
  private static final int RACERS = 2;
  private static final int OPERATIONS = 40_000;
  private static final int TENANTS = 8;
  private static final int LIMIT = 64;
  private static final int MAX_COST = 8;

  /** A permit, and how many calls took its sample. */
  private static final class Held {
    final long permit;
    final AtomicInteger samples = new AtomicInteger();
    volatile boolean ownerSampled;

    Held(long permit) {
      this.permit = permit;
    }
  }

  @RepeatedTest(3)
  @Timeout(60)
  void samplesAreTakenOnceAndAdjustmentsLeaveNothingBehind() throws Exception {
    ManualClock clock = new ManualClock();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(LIMIT)).build();
    FairShare<String> gate = FairShare.newBuilder(limiter).clock(clock).reserve(0.1)
        .<String>weights(tenant -> 1 + tenant.length() % 2).build();
    ConcurrentLinkedQueue<Held> shared = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Held> done = new ConcurrentLinkedQueue<>();
    AtomicInteger owners = new AtomicInteger(OWNERS);
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    AtomicLong released = new AtomicLong();
    AtomicLong lost = new AtomicLong();
    AtomicLong charges = new AtomicLong();
    long seed = System.nanoTime();

    Workers.run(OWNERS + RACERS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      if (worker >= OWNERS) {
        // A racer: samples and adjusts permits the owners hold, or have just released.
        while (owners.get() > 0) {
          Held held = shared.poll();
          if (held == null) {
            Thread.onSpinWait();
            continue;
          }
          if (gate.sample(held.permit)) {
            held.samples.incrementAndGet();
          }
          gate.adjust(held.permit, 1 + random.nextInt(MAX_COST));
          maxInFlight.accumulateAndGet(limiter.inFlight(), Math::max);
        }
        return;
      }
      try {
        for (int i = 0; i < OPERATIONS; i++) {
          clock.advanceNanos(random.nextInt(100_000));
          String tenant = "tenant-" + (random.nextInt(3) == 0 ? 0 : random.nextInt(TENANTS));
          long ticket = gate.tryAcquire(tenant, 1 + random.nextInt(MAX_COST));
          if (Ticket.isRejection(ticket)) {
            continue;
          }
          admitted.incrementAndGet();
          Held held = new Held(ticket);
          if (random.nextInt(4) == 0) {
            shared.add(held);
          }
          if (random.nextBoolean()) {
            held.ownerSampled = true;
            if (gate.sample(held.permit)) {
              held.samples.incrementAndGet();
            }
          }
          for (int k = random.nextInt(3); k > 0; k--) {
            if (gate.adjust(held.permit, 1 + random.nextInt(MAX_COST))) {
              charges.incrementAndGet();
            }
            maxInFlight.accumulateAndGet(limiter.inFlight(), Math::max);
          }
          if (random.nextInt(8) == 0) {
            shared.add(held); // raced after its release too
          }
          if (gate.release(held.permit, Outcome.SUCCESS)) {
            released.incrementAndGet();
          } else {
            lost.incrementAndGet();
          }
          done.add(held);
        }
      } finally {
        owners.decrementAndGet();
      }
    });

    assertThat(lost.get()).as("releases refused").isZero();
    assertThat(released.get()).isEqualTo(admitted.get());
    assertThat(charges.get()).as("adjustments granted").isPositive();
    long missed = 0;
    long doubled = 0;
    for (Held held : done) {
      int samples = held.samples.get();
      missed += held.ownerSampled && samples == 0 ? 1 : 0;
      doubled += samples > 1 ? 1 : 0;
    }
    assertThat(missed).as("permits sampled while held whose sample no call took").isZero();
    assertThat(doubled).as("permits sampled twice").isZero();
    assertThat(maxInFlight.get()).as("one extra charge at most over the limit")
        .isLessThanOrEqualTo(LIMIT + MAX_COST - 1);
    assertThat(limiter.inFlight()).as("units left in the limiter").isZero();
    assertThat(limiter.snapshot().invalidReleases()).as("limiter permits released twice").isZero();
    assertThat(gate.snapshot().invalidReleases()).isZero();
    assertThat(gate.activeWeight()).as("active weight at rest").isZero();
    for (int t = 0; t < TENANTS; t++) {
      assertThat(gate.held("tenant-" + t)).as("tenant %d at rest", t).isZero();
    }
    assertThat(((FairShareGate<String>) gate).overflowHeld()).isZero();
  }
}
