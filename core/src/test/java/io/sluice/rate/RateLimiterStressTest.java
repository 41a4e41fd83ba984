package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.testing.ManualClock;
import java.math.BigInteger;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Many threads take tokens while the manual clock moves. Invariants: a bucket never admits more
 * than burst + floor(elapsed * permits / period); greedy threads get exactly that; a keyed table
 * never tracks more than maxKeys keys, and no key gets more than its own quota.
 */
@Tag("stress")
class RateLimiterStressTest {
  private static final int THREADS = 8;

  private static long bound(int burst, long permits, long periodNanos, long elapsedNanos) {
    return burst + BigInteger.valueOf(elapsedNanos).multiply(BigInteger.valueOf(permits))
        .divide(BigInteger.valueOf(periodNanos)).longValueExact();
  }

  /**
   * In each phase every thread takes single permits until refused; between phases the clock
   * moves. Since every refusal means less than one token was left, the total is exact.
   */
  @Test
  void greedyThreadsTogetherGetExactlyRateTimesTimePlusBurst() throws Exception {
    ManualClock clock = new ManualClock();
    RateLimiter limiter = RateLimiter.newBuilder()
        .rate(1000, Duration.ofSeconds(1)).burst(50).clock(clock).build();
    SplittableRandom steps = new SplittableRandom(3);
    int phases = 1500;
    AtomicLong phaseEnd = new AtomicLong();
    CyclicBarrier barrier = new CyclicBarrier(THREADS, () -> {
      phaseEnd.set(clock.nanoTime());
      clock.advanceNanos(1 + steps.nextLong(40_000_000L));
    });
    AtomicLong admitted = new AtomicLong();

    Workers.run(THREADS, thread -> {
      for (int phase = 0; phase < phases; phase++) {
        while (Ticket.isPermit(limiter.tryAcquire())) {
          admitted.incrementAndGet();
        }
        barrier.await(1, TimeUnit.MINUTES);
      }
    });

    // Steps stay below (burst - 1) refills, so the bucket never caps and greedy takes everything.
    assertThat(admitted.get()).isEqualTo(bound(50, 1000, 1_000_000_000L, phaseEnd.get()));
  }

  /** Threads move the clock themselves and take random weights; the bound holds at the end. */
  @ParameterizedTest(name = "{0} per {1} ns, burst {2}")
  @CsvSource({
      "1000, 1000000000, 50",
      "7, 3000000000, 4",
      // The largest scale: the scaled clock is rebased about every 1.15 s of the run.
      "999999937, 86400000000000, 1000"
  })
  void concurrentWeightedAcquiresNeverExceedTheBound(long permits, long periodNanos, int burst)
      throws Exception {
    ManualClock clock = new ManualClock(123_456_789L);
    long start = clock.nanoTime();
    RateLimiter limiter = RateLimiter.newBuilder()
        .rate(permits, Duration.ofNanos(periodNanos)).burst(burst).clock(clock).build();
    AtomicLong admitted = new AtomicLong();
    long interval = Math.max(1, periodNanos / permits);

    Workers.run(THREADS, thread -> {
      SplittableRandom random = new SplittableRandom(thread * 31L + permits);
      for (int i = 0; i < 40_000; i++) {
        if (random.nextInt(8) == 0) {
          clock.advanceNanos(random.nextLong(interval * 3));
        }
        int weight = 1 + random.nextInt(Math.min(burst, 3));
        if (Ticket.isPermit(limiter.tryAcquire(weight))) {
          admitted.addAndGet(weight);
        }
      }
    });

    long bound = bound(burst, permits, periodNanos, clock.nanoTime() - start);
    assertThat(admitted.get()).isLessThanOrEqualTo(bound);
    assertThat(admitted.get()).as("demand exceeded the rate, so the bound was approached")
        .isGreaterThan(bound / 2);
  }

  /**
   * Threads hammer 64 keys through a table of 16 with weights and a moving clock. The table never
   * tracks more than 16 keys, churns (evictions and refusals of new keys both happen), and no key
   * gets more than its own quota, evictions included.
   */
  @Test
  void aKeyedTableStaysBoundedAndNoKeyExceedsItsQuota() throws Exception {
    ManualClock clock = new ManualClock();
    int keys = 64;
    KeyedRateLimiter<Integer> quotas = KeyedRateLimiter.newBuilder()
        .rate(100, Duration.ofSeconds(1)).burst(10).maxKeys(16).clock(clock).build();
    AtomicLongArray admitted = new AtomicLongArray(keys);
    AtomicInteger maxTracked = new AtomicInteger();

    Workers.run(THREADS, thread -> {
      SplittableRandom random = new SplittableRandom(77 + thread);
      for (int i = 0; i < 30_000; i++) {
        if (random.nextInt(16) == 0) {
          clock.advanceNanos(random.nextLong(20_000_000L));
        }
        // Mostly a few hot keys, sometimes any of them, so hot keys exhaust and cold ones churn.
        int key = random.nextInt(4) == 0 ? random.nextInt(keys) : random.nextInt(6);
        int weight = 1 + random.nextInt(2);
        if (Ticket.isPermit(quotas.tryAcquire(key, weight))) {
          admitted.addAndGet(key, weight);
        }
        maxTracked.accumulateAndGet(quotas.keyCount(), Math::max);
      }
    });

    long bound = bound(10, 100, 1_000_000_000L, clock.nanoTime());
    long hottest = 0;
    for (int key = 0; key < keys; key++) {
      assertThat(admitted.get(key)).as("key %d", key).isLessThanOrEqualTo(bound);
      hottest = Math.max(hottest, admitted.get(key));
    }
    assertThat(hottest).as("hot keys were limited near their quota").isGreaterThan(bound / 2);
    assertThat(maxTracked.get()).isLessThanOrEqualTo(16);
    assertThat(quotas.keyCount()).isLessThanOrEqualTo(16);
    assertThat(quotas.snapshot().evictions()).isPositive();
    assertThat(quotas.snapshot().rejectedNewKeys()).isPositive();
  }
}
