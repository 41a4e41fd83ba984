package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads use every permit operation at once: acquisitions at every priority and cost,
 * milestone samples, cost adjustments (refunds and extra charges), releases with every outcome,
 * hand-overs to other threads, misuse, calls racing on one permit, and monitor-only mode switched
 * on and off. Invariants: in-flight units never exceed the limit by more than one charge; no unit
 * is leaked or lost (in-flight returns to 0); every permit is released exactly once; the counts of
 * permits issued, refusals and misuse are exact at rest.
 */
@Tag("stress")
class LimiterFeaturesStressTest {
  private static final int THREADS = 8;
  private static final int OPERATIONS = 40_000;
  private static final int LIMIT = 16;
  private static final int MAX_COST = 4;
  private static final Priority[] LEVELS = Priority.values();
  private static final Outcome[] OUTCOMES = Outcome.values();

  private static WindowedLimiter limiter(ManualClock clock) {
    return (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(LIMIT))
        .window(Duration.ofMillis(1), Duration.ofMillis(10), 1)
        .maxSamplingPeriod(4)
        .build();
  }

  /** Reads in-flight units and keeps the largest value seen. */
  private static void watch(Limiter limiter, AtomicInteger maxInFlight) {
    maxInFlight.accumulateAndGet(limiter.inFlight(), Math::max);
  }

  @Test
  @Timeout(60)
  void adjustmentsAndSamplesUnderManyThreadsLoseNoUnitAndExceedTheLimitByOneChargeAtMost()
      throws Exception {
    long seed = System.nanoTime();
    ManualClock clock = new ManualClock();
    WindowedLimiter limiter = limiter(clock);
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    AtomicLong released = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong misuse = new AtomicLong();
    AtomicLong wronglyAccepted = new AtomicLong();
    AtomicLong unexpected = new AtomicLong();
    LongAdder sampled = new LongAdder();
    ConcurrentLinkedQueue<long[]> handOver = new ConcurrentLinkedQueue<>();
    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      // Held permits: {ticket, cost, sampled}.
      long[][] held = new long[6][];
      int holding = 0;
      for (int i = 0; i < OPERATIONS; i++) {
        clock.advanceNanos(random.nextInt(50_000));
        long[] foreign = handOver.poll();
        if (foreign != null) {
          if (holding < held.length) {
            held[holding++] = foreign;
          } else if (limiter.release(foreign[0], Outcome.SUCCESS)) {
            released.incrementAndGet();
          } else {
            unexpected.incrementAndGet();
          }
        }
        int dice = random.nextInt(100);
        if (holding < held.length && (holding == 0 || dice < 40)) {
          int cost = 1 + random.nextInt(MAX_COST);
          long ticket = limiter.tryAcquire(cost, LEVELS[random.nextInt(LEVELS.length)]);
          if (Ticket.isRejection(ticket)) {
            refused.incrementAndGet();
          } else {
            admitted.incrementAndGet();
            held[holding++] = new long[] {ticket, cost, 0};
          }
        } else if (dice < 60) {
          long[] permit = held[random.nextInt(holding)];
          int newCost = 1 + random.nextInt(MAX_COST);
          if (limiter.adjust(permit[0], newCost)) {
            permit[1] = newCost;
          } else if (newCost <= permit[1]) {
            unexpected.incrementAndGet(); // a refund of a held permit is always granted
          }
        } else if (dice < 75) {
          long[] permit = held[random.nextInt(holding)];
          boolean first = permit[2] == 0;
          if (limiter.sample(permit[0]) != first) {
            unexpected.incrementAndGet();
          }
          permit[2] = 1;
          sampled.increment();
        } else if (dice < 80) {
          int k = random.nextInt(holding);
          handOver.add(held[k]);
          held[k] = held[--holding];
        } else {
          int k = random.nextInt(holding);
          long[] permit = held[k];
          held[k] = held[--holding];
          if (limiter.release(permit[0], OUTCOMES[random.nextInt(OUTCOMES.length)])) {
            released.incrementAndGet();
          } else {
            unexpected.incrementAndGet();
          }
          if (dice >= 95) {
            // A buggy caller uses the permit again: each call is refused and counted.
            misuse.incrementAndGet();
            if (limiter.release(permit[0], Outcome.SUCCESS) || limiter.sample(permit[0])
                || limiter.adjust(permit[0], 1)) {
              wronglyAccepted.incrementAndGet();
            }
          }
        }
        watch(limiter, maxInFlight);
      }
      for (int k = 0; k < holding; k++) {
        if (limiter.release(held[k][0], Outcome.SUCCESS)) {
          released.incrementAndGet();
        } else {
          unexpected.incrementAndGet();
        }
      }
    });
    for (long[] left; (left = handOver.poll()) != null; ) {
      if (limiter.release(left[0], Outcome.IGNORED)) {
        released.incrementAndGet();
      }
    }
    String context = "seed " + seed;
    assertThat(wronglyAccepted.get()).as(context).isZero();
    assertThat(unexpected.get()).as(context).isZero();
    assertThat(maxInFlight.get()).as(context).isLessThanOrEqualTo(LIMIT + MAX_COST - 1);
    assertThat(released.get()).as(context).isEqualTo(admitted.get());
    assertThat(limiter.inFlight()).as(context).isZero();
    assertThat(limiter.admitted()).as(context).isEqualTo(admitted.get());
    assertThat(limiter.releases()).as(context).isEqualTo(released.get());
    assertThat(limiter.snapshot().rejected()).as(context).isEqualTo(refused.get());
    assertThat(limiter.snapshot().invalidReleases()).as(context).isEqualTo(misuse.get());
    assertThat(limiter.snapshot().invalidSamples()).as(context).isEqualTo(misuse.get());
    assertThat(limiter.snapshot().invalidAdjustments()).as(context).isEqualTo(misuse.get());
    assertThat(sampled.sum()).as(context).isGreaterThan(THREADS * OPERATIONS / 20);
    assertThat(limiter.snapshot().windowsClosed()).as(context).isGreaterThan(100);
  }

  @Test
  @Timeout(60)
  void samplesAndAdjustmentsRacingWithTheReleaseOfOnePermitTakeEffectOnceAndLoseNothing()
      throws Exception {
    long seed = System.nanoTime();
    ManualClock clock = new ManualClock();
    WindowedLimiter limiter = limiter(clock);
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    AtomicLong released = new AtomicLong();
    AtomicLong doubleSamples = new AtomicLong();
    // Tickets any thread may sample or adjust while their owner releases them.
    AtomicLongArray shared = new AtomicLongArray(16);
    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      for (int i = 0; i < OPERATIONS; i++) {
        clock.advanceNanos(random.nextInt(50_000));
        long other = shared.get(random.nextInt(shared.length()));
        if (other > 0) {
          // Someone else's permit, perhaps released meanwhile: either call may find it gone.
          if (random.nextBoolean()) {
            limiter.adjust(other, 1 + random.nextInt(MAX_COST));
          } else if (limiter.sample(other) && limiter.sample(other)) {
            doubleSamples.incrementAndGet();
          }
        }
        long ticket = limiter.tryAcquire(1 + random.nextInt(MAX_COST));
        if (Ticket.isRejection(ticket)) {
          continue;
        }
        admitted.incrementAndGet();
        int slot = random.nextInt(shared.length());
        shared.set(slot, ticket);
        if (random.nextBoolean()) {
          limiter.adjust(ticket, 1 + random.nextInt(MAX_COST));
        }
        watch(limiter, maxInFlight);
        if (limiter.release(ticket, OUTCOMES[random.nextInt(OUTCOMES.length)])) {
          released.incrementAndGet();
        }
        shared.compareAndSet(slot, ticket, 0);
      }
    });
    String context = "seed " + seed;
    assertThat(doubleSamples.get()).as(context).isZero();
    assertThat(released.get()).as(context).isEqualTo(admitted.get());
    assertThat(maxInFlight.get()).as(context).isLessThanOrEqualTo(LIMIT + MAX_COST - 1);
    assertThat(limiter.inFlight()).as(context).isZero();
    assertThat(limiter.snapshot().invalidReleases()).as(context).isZero();
    assertThat(limiter.admitted()).as(context).isEqualTo(admitted.get());
    assertThat(limiter.releases()).as(context).isEqualTo(released.get());
  }

  @Test
  @Timeout(60)
  void switchingMonitorOnlyModeWhileThreadsAcquireLosesNoPermitAndCountsEveryRefusal()
      throws Exception {
    long seed = System.nanoTime();
    ManualClock clock = new ManualClock();
    WindowedLimiter limiter = limiter(clock);
    AtomicLong admitted = new AtomicLong();
    AtomicLong released = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      long[] held = new long[64];
      int holding = 0;
      for (int i = 0; i < OPERATIONS; i++) {
        clock.advanceNanos(random.nextInt(50_000));
        if (worker == 0 && i % 500 == 0) {
          limiter.monitorOnly(!limiter.monitorOnly());
        }
        if (holding < held.length && random.nextInt(100) < 55) {
          long ticket = limiter.tryAcquire(1 + random.nextInt(MAX_COST),
              LEVELS[random.nextInt(LEVELS.length)]);
          if (Ticket.isPermit(ticket)) {
            admitted.incrementAndGet();
            held[holding++] = ticket;
          } else {
            refused.incrementAndGet();
          }
        } else if (holding > 0) {
          int k = random.nextInt(holding);
          if (limiter.release(held[k], Outcome.SUCCESS)) {
            released.incrementAndGet();
          }
          held[k] = held[--holding];
        }
      }
      for (int k = 0; k < holding; k++) {
        if (limiter.release(held[k], Outcome.SUCCESS)) {
          released.incrementAndGet();
        }
      }
    });
    String context = "seed " + seed;
    assertThat(released.get()).as(context).isEqualTo(admitted.get());
    assertThat(limiter.inFlight()).as(context).isZero();
    assertThat(limiter.snapshot().monitoredRejections()).as(context).isPositive();
    assertThat(refused.get()).as(context).isPositive();
    assertThat(limiter.snapshot().rejected() - limiter.snapshot().monitoredRejections()).as(context)
        .isEqualTo(refused.get());
    assertThat(limiter.admitted()).as(context).isEqualTo(admitted.get());
    long byReasonAndPriority = 0;
    for (RejectReason reason : RejectReason.values()) {
      for (Priority priority : LEVELS) {
        byReasonAndPriority += limiter.snapshot().rejected(reason, priority);
      }
    }
    assertThat(byReasonAndPriority).as(context).isEqualTo(limiter.snapshot().rejected());
  }
}
