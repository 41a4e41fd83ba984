package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads acquire and release with random costs, outcomes, failures, double releases and
 * hand-overs to other threads, for a bounded number of operations. Invariants: units admitted at
 * once never exceed the limit; every admitted permit is released exactly once; every second
 * release is refused and counted; in-flight returns to zero.
 */
@Tag("stress")
class LimiterStressTest {
  private static final int THREADS = 8;
  private static final int OPERATIONS = 60_000;
  private static final int HELD = 6;

  /** A limit that jumps between a high and a low value every window, to exercise shrinking. */
  static final class SwingingLimit implements LimitAlgorithm {
    private final int low;
    private final int high;

    SwingingLimit(int low, int high) {
      this.low = low;
      this.high = high;
    }

    @Override
    public int initialLimit() {
      return high;
    }

    @Override
    public int minLimit() {
      return low;
    }

    @Override
    public int maxLimit() {
      return high;
    }

    @Override
    public int update(WindowStats window) {
      return window.limit() == high ? low : high;
    }
  }

  /** What one run saw. */
  record Totals(long admitted, long released, long doubleReleases, int maxActive, long windows) {}

  private static Totals hammer(Limiter limiter, ManualClock clock, long seed) throws Exception {
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    AtomicLong released = new AtomicLong();
    AtomicLong doubleReleases = new AtomicLong();
    AtomicLong unexpected = new AtomicLong();
    ConcurrentLinkedQueue<long[]> handOver = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    Thread[] threads = new Thread[THREADS];
    for (int t = 0; t < THREADS; t++) {
      SplittableRandom random = new SplittableRandom(seed + t);
      threads[t] = new Thread(() -> {
        // Each thread holds up to HELD permits at once, so demand is far above the limit.
        long[][] held = new long[HELD][];
        int holding = 0;
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < OPERATIONS; i++) {
          clock.advanceNanos(random.nextInt(20_000));
          long[] foreign = handOver.poll();
          if (foreign != null) {
            // A permit acquired by another thread: this thread completes it.
            active.addAndGet((int) -foreign[1]);
            if (limiter.release(foreign[0], Outcome.SUCCESS)) {
              released.incrementAndGet();
            } else {
              unexpected.incrementAndGet();
            }
          }
          if (holding == HELD || (holding > 0 && random.nextBoolean())) {
            int k = random.nextInt(holding);
            long[] permit = held[k];
            held[k] = held[--holding];
            finish(limiter, permit, random.nextInt(100), active, released, doubleReleases, unexpected);
            continue;
          }
          int cost = 1 + random.nextInt(3);
          long ticket = limiter.tryAcquire(cost);
          if (Ticket.isRejection(ticket)) {
            continue;
          }
          admitted.incrementAndGet();
          int now = active.addAndGet(cost);
          maxActive.accumulateAndGet(now, Math::max);
          if (random.nextInt(10) == 0) {
            handOver.add(new long[] {ticket, cost});
          } else {
            held[holding++] = new long[] {ticket, cost};
          }
        }
        for (int k = 0; k < holding; k++) {
          finish(limiter, held[k], 0, active, released, doubleReleases, unexpected);
        }
      });
      threads[t].start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(TimeUnit.MINUTES.toMillis(2));
      assertThat(thread.isAlive()).as("worker finished").isFalse();
    }
    for (long[] left; (left = handOver.poll()) != null; ) {
      active.addAndGet((int) -left[1]);
      if (limiter.release(left[0], Outcome.SUCCESS)) {
        released.incrementAndGet();
      }
    }
    assertThat(unexpected.get()).as("releases refused or accepted against the contract").isZero();
    assertThat(active.get()).isZero();
    return new Totals(admitted.get(), released.get(), doubleReleases.get(), maxActive.get(),
        limiter.snapshot().windowsClosed());
  }

  /** Releases a held permit with a random outcome, sometimes after a failure, sometimes twice. */
  private static void finish(Limiter limiter, long[] permit, int dice, AtomicInteger active,
      AtomicLong released, AtomicLong doubleReleases, AtomicLong unexpected) {
    Outcome outcome = dice < 60 ? Outcome.SUCCESS : dice < 80 ? Outcome.DROPPED : Outcome.IGNORED;
    try {
      if (dice >= 90) {
        throw new IllegalStateException("work failed");
      }
    } catch (IllegalStateException e) {
      outcome = Outcome.DROPPED;
    } finally {
      active.addAndGet((int) -permit[1]);
      if (limiter.release(permit[0], outcome)) {
        released.incrementAndGet();
      } else {
        unexpected.incrementAndGet();
      }
    }
    if (dice % 7 == 0) {
      // A buggy caller releases again: refused, counted, and in-flight is not decremented.
      if (limiter.release(permit[0], Outcome.SUCCESS)) {
        unexpected.incrementAndGet();
      }
      doubleReleases.incrementAndGet();
    }
  }

  @RepeatedTest(3)
  @Timeout(60)
  void aFixedLimitIsNeverExceededAndNoPermitIsLost() throws Exception {
    ManualClock clock = new ManualClock();
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(12)).build();

    Totals totals = hammer(limiter, clock, System.nanoTime());

    assertThat(totals.maxActive()).isLessThanOrEqualTo(12);
    assertThat(totals.admitted()).isGreaterThan(THREADS * OPERATIONS / 10);
    assertThat(limiter.snapshot().rejected())
        .as("demand exceeded the limit").isGreaterThan(THREADS * OPERATIONS / 20);
    assertThat(totals.released()).isEqualTo(totals.admitted());
    assertThat(limiter.snapshot().invalidReleases()).isEqualTo(totals.doubleReleases());
    assertThat(limiter.inFlight()).isZero();
  }

  /** A limit between {@code low} and {@code high} under the largest supported maxLimit. */
  static final class SwingingUnderTheLargestMax implements LimitAlgorithm {
    private final SwingingLimit swing;

    SwingingUnderTheLargestMax(int low, int high) {
      this.swing = new SwingingLimit(low, high);
    }

    @Override
    public int initialLimit() {
      return swing.initialLimit();
    }

    @Override
    public int minLimit() {
      return swing.minLimit();
    }

    @Override
    public int maxLimit() {
      return MAX_SUPPORTED_LIMIT;
    }

    @Override
    public int update(WindowStats window) {
      return swing.update(window);
    }
  }

  /**
   * Threads take bursts of up to 3000 permits at once from a fresh limiter at the largest
   * maxLimit, so the permit table grows while other threads claim and free slots, and then
   * release them in a random order, with corrupted tickets and second releases in between.
   */
  @Test
  @Timeout(90)
  void thePermitTableGrowsWhileThreadsAcquireAndReleaseAndLosesNoPermit() throws Exception {
    long seed = System.nanoTime();
    for (int round = 0; round < 6; round++) {
      ManualClock clock = new ManualClock();
      WindowedLimiter limiter = (WindowedLimiter) Limiter.newBuilder()
          .clock(clock)
          .algorithm(() -> new SwingingUnderTheLargestMax(6_000, 16_000))
          .window(Duration.ofMillis(1), Duration.ofMillis(10), 1)
          .build();
      AtomicInteger active = new AtomicInteger();
      AtomicInteger maxActive = new AtomicInteger();
      AtomicLong admitted = new AtomicLong();
      AtomicLong released = new AtomicLong();
      AtomicLong badReleases = new AtomicLong();
      AtomicLong wronglyAccepted = new AtomicLong();
      long roundSeed = seed + round * 1_000L;
      Workers.run(THREADS, worker -> {
        SplittableRandom random = new SplittableRandom(roundSeed + worker);
        long[] tickets = new long[3_000];
        int[] costs = new int[tickets.length];
        for (int burst = 0; burst < 24; burst++) {
          int wanted = 1 + random.nextInt(tickets.length);
          int held = 0;
          for (int i = 0; i < wanted; i++) {
            int cost = 1 + random.nextInt(2);
            long ticket = limiter.tryAcquire(cost);
            if (Ticket.isPermit(ticket)) {
              admitted.incrementAndGet();
              maxActive.accumulateAndGet(active.addAndGet(cost), Math::max);
              tickets[held] = ticket;
              costs[held++] = cost;
            }
          }
          clock.advanceNanos(random.nextInt(2_000_000));
          for (int left = held; left > 0; left--) {
            int k = random.nextInt(left);
            long ticket = tickets[k];
            int cost = costs[k];
            tickets[k] = tickets[left - 1];
            costs[k] = costs[left - 1];
            if (random.nextInt(8) == 0) {
              // A corrupted copy of a ticket still held: a neighbour's slot or a flipped bit.
              long corrupted = random.nextBoolean()
                  ? ticket + (random.nextBoolean() ? 1 : -1) * (1 + random.nextInt(4))
                  : ticket ^ 1L << random.nextInt(64);
              badReleases.incrementAndGet();
              if (limiter.release(corrupted, Outcome.SUCCESS)) {
                wronglyAccepted.incrementAndGet();
              }
            }
            active.addAndGet(-cost);
            if (limiter.release(ticket, random.nextBoolean() ? Outcome.SUCCESS : Outcome.DROPPED)) {
              released.incrementAndGet();
            } else {
              wronglyAccepted.incrementAndGet();
            }
            if (random.nextInt(16) == 0) {
              badReleases.incrementAndGet();
              if (limiter.release(ticket, Outcome.IGNORED)) {
                wronglyAccepted.incrementAndGet();
              }
            }
          }
        }
      });
      String context = "seed " + roundSeed;
      assertThat(wronglyAccepted.get()).as(context).isZero();
      assertThat(maxActive.get()).as(context).isLessThanOrEqualTo(16_000);
      assertThat(released.get()).as(context).isEqualTo(admitted.get());
      assertThat(limiter.snapshot().invalidReleases()).as(context).isEqualTo(badReleases.get());
      assertThat(limiter.inFlight()).as(context).isZero();
      assertThat(limiter.admitted()).as(context).isEqualTo(admitted.get());
      assertThat(limiter.releases()).as(context).isEqualTo(released.get());
      assertThat(limiter.permitCapacity()).as(context)
          .isGreaterThan(PermitTable.INITIAL_CAPACITY)
          .isLessThanOrEqualTo(4 * 16_000);
    }
  }

  @Test
  @Timeout(60)
  void aShrinkingAndGrowingLimitIsNeverExceededAndInFlightReturnsToZero() throws Exception {
    ManualClock clock = new ManualClock();
    Limiter limiter = Limiter.newBuilder()
        .clock(clock)
        .algorithm(() -> new SwingingLimit(4, 24))
        .window(Duration.ofMillis(1), Duration.ofMillis(10), 1)
        .build();

    Totals totals = hammer(limiter, clock, 7);

    assertThat(totals.windows()).as("the limit swung many times").isGreaterThan(100);
    assertThat(totals.maxActive()).isLessThanOrEqualTo(24);
    assertThat(totals.released()).isEqualTo(totals.admitted());
    assertThat(limiter.snapshot().invalidReleases()).isEqualTo(totals.doubleReleases());
    assertThat(limiter.inFlight()).isZero();
  }
}
