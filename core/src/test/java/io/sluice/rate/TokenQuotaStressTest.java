package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.testing.ManualClock;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads admit, reconcile (refunds and debts), evict and move the manual clock at once.
 * Invariants: per key, the cost consumed never exceeds burst + rate x time + the debt reported; a
 * reservation is reconciled exactly once, however many threads try; nothing stays pending; what a
 * key may take is never negative nor above the burst; and once every debt has refilled, every key
 * is back to a full bucket (no unit lost or gained for good).
 */
@Tag("stress")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TokenQuotaStressTest {
  private static final int THREADS = 8;
  /** 60,000 tokens per minute: one per millisecond. */
  private static final long PER_MINUTE = 60_000;
  private static final int BURST = 500;

  private static long bound(long elapsedNanos) {
    return BURST + BigInteger.valueOf(elapsedNanos).multiply(BigInteger.valueOf(PER_MINUTE))
        .divide(BigInteger.valueOf(Duration.ofMinutes(1).toNanos())).longValueExact();
  }

  private static TokenQuota<Integer> quota(ManualClock clock, int maxKeys) {
    return TokenQuota.newBuilder().rate(PER_MINUTE, Duration.ofMinutes(1)).burst(BURST)
        .maxKeys(maxKeys).clock(clock).build();
  }

  @Test
  void greedyThreadsNeverConsumeMoreThanTheRateTheBurstAndTheDebtReported() throws Exception {
    ManualClock clock = new ManualClock(1_000_000_000L);
    long start = clock.nanoTime();
    int keys = 3;
    TokenQuota<Integer> quota = quota(clock, 16);
    AtomicLongArray consumed = new AtomicLongArray(keys);
    AtomicLongArray debtReported = new AtomicLongArray(keys);
    AtomicInteger outOfRange = new AtomicInteger();

    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(worker);
      ArrayDeque<long[]> held = new ArrayDeque<>();   // {reservation, key, estimate}
      for (int step = 0; step < 40_000; step++) {
        int key = random.nextInt(keys);
        int estimate = 1 + random.nextInt(120);
        long ticket = quota.tryAcquire(key, estimate);
        if (Ticket.isPermit(ticket)) {
          held.add(new long[] {ticket, key, estimate});
        }
        if (!held.isEmpty() && (held.size() > 4 || random.nextInt(3) == 0)) {
          long[] r = held.poll();
          // Mostly less than the estimate; one in five more (a debt), sometimes a lot more.
          int actual = random.nextInt(5) == 0
              ? (int) r[2] + random.nextInt(random.nextInt(10) == 0 ? 2 * BURST : 60)
              : random.nextInt((int) r[2] + 1);
          assertThat(quota.reconcile(r[0], actual)).isTrue();
          consumed.addAndGet((int) r[1], actual);
          debtReported.addAndGet((int) r[1], Math.max(0, actual - r[2]));
        }
        long available = quota.availableCost(key);
        long debt = quota.debt(key);
        if (available < 0 || available > BURST || debt < 0 || debt > BURST) {
          outOfRange.incrementAndGet();
        }
        if (random.nextInt(8) == 0) {
          clock.advanceNanos(random.nextLong(300_000L));
        }
      }
      for (long[] r : held) {
        assertThat(quota.reconcile(r[0], (int) r[2])).isTrue();
        consumed.addAndGet((int) r[1], r[2]);
      }
    });

    long elapsed = clock.nanoTime() - start;
    assertThat(outOfRange.get()).as("readings outside [0, burst]")
        .isZero();
    assertThat(quota.pending()).isZero();
    assertThat(quota.snapshot().invalidReconciliations()).isZero();
    for (int key = 0; key < keys; key++) {
      assertThat(consumed.get(key)).as("key %d", key)
          .isLessThanOrEqualTo(bound(elapsed) + debtReported.get(key))
          .as("greedy threads use most of the rate").isGreaterThan(bound(elapsed) / 2);
    }
    clock.advanceNanos(Duration.ofMillis(2 * BURST).toNanos());
    for (int key = 0; key < keys; key++) {
      assertThat(quota.availableCost(key)).isEqualTo(BURST);
      assertThat(quota.debt(key)).isZero();
    }
  }

  /**
   * The clock stands still, so the outcome is exact: every estimate taken, then every reservation
   * reconciled by three threads at once. One of them wins each; the bucket ends exactly at burst
   * minus the actual costs.
   */
  @Test
  void racingReconciliationsOfOneReservationApplyExactlyOnce() throws Exception {
    ManualClock clock = new ManualClock();
    TokenQuota<Integer> quota = TokenQuota.newBuilder().rate(PER_MINUTE, Duration.ofMinutes(1))
        .burst(100_000).clock(clock).build();
    int reservations = 2000;
    long[] tickets = new long[reservations];
    int[] actual = new int[reservations];
    SplittableRandom random = new SplittableRandom(7);
    long actualTotal = 0;
    for (int i = 0; i < reservations; i++) {
      int estimate = 1 + random.nextInt(40);
      tickets[i] = quota.tryAcquire(0, estimate);
      assertThat(Ticket.isPermit(tickets[i])).isTrue();
      actual[i] = random.nextInt(2 * estimate);   // refunds and debts
      actualTotal += actual[i];
    }
    AtomicInteger wins = new AtomicInteger();
    AtomicInteger losses = new AtomicInteger();

    Workers.run(3 * 2, worker -> {
      // Pairs of workers walk the tickets in opposite directions, so every ticket meets a race.
      boolean forward = worker % 2 == 0;
      for (int n = 0; n < reservations; n++) {
        int i = forward ? n : reservations - 1 - n;
        if (quota.reconcile(tickets[i], actual[i])) {
          wins.incrementAndGet();
        } else {
          losses.incrementAndGet();
        }
      }
    });

    assertThat(wins.get()).isEqualTo(reservations);
    assertThat(losses.get()).isEqualTo(5 * reservations);
    assertThat(quota.snapshot().invalidReconciliations()).isEqualTo(5L * reservations);
    assertThat(quota.pending()).isZero();
    assertThat(quota.availableCost(0)).isEqualTo(100_000 - actualTotal);
  }

  /** Keys outnumber the table, a sweeper evicts idle ones, and reservations of them are pending. */
  @Test
  void evictionsRacingReconciliationsKeepTheBoundAndLeaveNothingPending() throws Exception {
    ManualClock clock = new ManualClock();
    long start = clock.nanoTime();
    int keys = 24;
    TokenQuota<Integer> quota = quota(clock, 6);
    AtomicLongArray consumed = new AtomicLongArray(keys);
    AtomicLongArray debtReported = new AtomicLongArray(keys);
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger tooManyKeys = new AtomicInteger();

    Thread sweeper = new Thread(() -> {
      while (!done.get()) {
        quota.cleanUp();
        if (quota.keyCount() > 6) {
          tooManyKeys.incrementAndGet();
        }
      }
    }, "sweeper");
    sweeper.start();
    try {
      Workers.run(THREADS, worker -> {
        SplittableRandom random = new SplittableRandom(100 + worker);
        ArrayDeque<long[]> held = new ArrayDeque<>();
        for (int step = 0; step < 30_000; step++) {
          int key = random.nextInt(keys);
          int estimate = 1 + random.nextInt(BURST);
          long ticket = quota.tryAcquire(key, estimate);
          if (Ticket.isPermit(ticket)) {
            held.add(new long[] {ticket, key, estimate});
          }
          if (held.size() > 8 || (!held.isEmpty() && random.nextBoolean())) {
            long[] r = held.poll();
            int actual = random.nextInt((int) r[2] * 2 + 1);
            assertThat(quota.reconcile(r[0], actual)).isTrue();
            consumed.addAndGet((int) r[1], actual);
            debtReported.addAndGet((int) r[1], Math.max(0, actual - r[2]));
          }
          // 25 ms on average: enough refill for keys to go idle and be evicted now and then.
          clock.advanceNanos(random.nextLong(50_000_000L));
        }
        for (long[] r : held) {
          assertThat(quota.reconcile(r[0], 0)).isTrue();
        }
      });
    } finally {
      done.set(true);
      sweeper.join(TimeUnit.SECONDS.toMillis(30));
    }

    long elapsed = clock.nanoTime() - start;
    assertThat(tooManyKeys.get()).isZero();
    assertThat(quota.pending()).isZero();
    assertThat(quota.snapshot().invalidReconciliations()).isZero();
    assertThat(quota.snapshot().evictions()).as("the table was too small for the keys")
        .isPositive();
    for (int key = 0; key < keys; key++) {
      assertThat(consumed.get(key)).as("key %d", key)
          .isLessThanOrEqualTo(bound(elapsed) + debtReported.get(key));
    }
    clock.advanceNanos(Duration.ofMillis(2 * BURST).toNanos());
    for (int key = 0; key < keys; key++) {
      assertThat(quota.availableCost(key)).isEqualTo(BURST);
    }
  }
}
