package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 17, "Also": many threads mix every public operation of a {@link RateLimiter} and of a
 * {@link KeyedRateLimiter} at random, misuse included (weights out of range, null keys, more keys
 * than the table holds, clean-ups racing admissions), while they move a manual clock that starts
 * at zero or half a second before the {@code nanoTime} wrap. After every step: the permits
 * admitted so far, per bucket, never exceed {@code burst + floor(elapsed * permits / period)}, a
 * refusal is {@code RATE_LIMITED} with a Retry-After no longer than a whole burst's refill (plus
 * the clock moves of a racing step), the available permits stay in {@code [0, burst]}, and the
 * keyed table never tracks more than {@code maxKeys}. The seed is printed; rerun one with
 * {@code -Dsluice.seed=N}.
 */
@Tag("stress")
@Timeout(90)
class RateLimiterRandomizedTest {
  private static final int THREADS = 8;
  private static final int STEPS = 30_000;
  private static final long PERIOD = 1_000_000_000L;
  /** How far one step may move the clock; a refusal may overstate its wait by what races it. */
  private static final long MAX_STEP = 2_000_000L;

  /** Rate-times-time plus burst, for elapsed nanoseconds of a bucket of this rate. */
  private static long bound(int burst, long permits, long elapsedNanos) {
    return burst + Math.multiplyExact(elapsedNanos, permits) / PERIOD;
  }

  private static void checkRefusal(long ticket, int burst, long permits,
      AtomicReference<String> violation) {
    long refill = (burst * PERIOD + permits - 1) / permits;
    if (Ticket.reason(ticket) != RejectReason.RATE_LIMITED) {
      violation.compareAndSet(null, "refused for " + Ticket.reason(ticket));
    } else if (Ticket.retryAfterNanos(ticket) > refill + THREADS * MAX_STEP) {
      violation.compareAndSet(null, "Retry-After " + Ticket.retryAfterNanos(ticket)
          + " ns beyond a whole refill of " + refill + " ns");
    }
  }

  @ParameterizedTest(name = "clock starting at {0}")
  @ValueSource(longs = {0L, Long.MAX_VALUE - 500_000_000L})
  void aBucketMixedAtRandomNeverAdmitsMoreThanRateTimesTimePlusBurst(long startNanos)
      throws InterruptedException {
    long seed = Long.getLong("sluice.seed", System.nanoTime());
    System.out.println("RateLimiterRandomizedTest bucket seed " + seed);
    ManualClock clock = new ManualClock(startNanos);
    long permits = 997; // does not divide the period: scaled arithmetic
    int burst = 25;
    RateLimiter limiter = RateLimiter.newBuilder().rate(permits, Duration.ofNanos(PERIOD))
        .burst(burst).clock(clock).build();
    AtomicLong admitted = new AtomicLong();
    AtomicReference<String> violation = new AtomicReference<>();

    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      for (int step = 0; step < STEPS && violation.get() == null; step++) {
        int op = random.nextInt(100);
        if (op < 40) {
          long ticket = limiter.tryAcquire();
          if (Ticket.isPermit(ticket)) {
            admitted.incrementAndGet();
          } else {
            checkRefusal(ticket, burst, permits, violation);
          }
        } else if (op < 60) {
          int n = 1 + random.nextInt(burst);
          long ticket = limiter.tryAcquire(n);
          if (Ticket.isPermit(ticket)) {
            admitted.addAndGet(n);
          } else {
            checkRefusal(ticket, burst, permits, violation);
          }
        } else if (op < 65) {
          int bad = random.nextBoolean() ? burst + 1 + random.nextInt(10) : -random.nextInt(3);
          try {
            limiter.tryAcquire(bad);
            violation.compareAndSet(null, "a weight of " + bad + " was accepted");
          } catch (IllegalArgumentException expected) {
            // misuse refused, nothing taken
          }
        } else if (op < 75) {
          long available = limiter.availablePermits();
          if (available < 0 || available > burst) {
            violation.compareAndSet(null, "available " + available + " outside [0, " + burst + "]");
          }
        } else if (op < 97) {
          clock.advanceNanos(random.nextLong(MAX_STEP));
        } else if (limiter.burst() != burst || limiter.toString().isEmpty()) {
          violation.compareAndSet(null, "burst or toString changed");
        }
        // Admissions counted before this clock reading all took a reading no later than it.
        long count = admitted.get();
        long elapsed = clock.nanoTime() - startNanos;
        if (count > bound(burst, permits, elapsed)) {
          violation.compareAndSet(null, count + " admitted in " + elapsed + " ns, above "
              + bound(burst, permits, elapsed));
        }
      }
    });

    long elapsed = clock.nanoTime() - startNanos;
    System.out.printf("admitted %d in %d ms (bound %d)%n", admitted.get(), elapsed / 1_000_000,
        bound(burst, permits, elapsed));
    assertThat(violation.get()).isNull();
    assertThat(admitted.get()).isLessThanOrEqualTo(bound(burst, permits, elapsed));
    assertThat(admitted.get()).as("the demand used most of the quota")
        .isGreaterThan(bound(burst, permits, elapsed) / 2);
  }

  @ParameterizedTest(name = "clock starting at {0}")
  @ValueSource(longs = {0L, Long.MAX_VALUE - 500_000_000L})
  void aKeyedTableMixedAtRandomKeepsEveryKeysQuotaAndItsBound(long startNanos)
      throws InterruptedException {
    long seed = Long.getLong("sluice.seed", System.nanoTime());
    System.out.println("RateLimiterRandomizedTest keyed seed " + seed);
    ManualClock clock = new ManualClock(startNanos);
    long permits = 50;
    int burst = 5;
    int maxKeys = 8;
    String[] keys = new String[24];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = "tenant-" + i;
    }
    KeyedRateLimiter<String> limiter = KeyedRateLimiter.newBuilder()
        .rate(permits, Duration.ofNanos(PERIOD)).burst(burst).maxKeys(maxKeys).clock(clock)
        .build();
    AtomicLongArray admitted = new AtomicLongArray(keys.length);
    AtomicLong refusedNewKeys = new AtomicLong();
    AtomicReference<String> violation = new AtomicReference<>();

    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      long lastEvictions = 0;
      for (int step = 0; step < STEPS && violation.get() == null; step++) {
        int k = random.nextInt(keys.length);
        int op = random.nextInt(100);
        if (op < 45) {
          int n = random.nextInt(3) == 0 ? 1 + random.nextInt(burst) : 1;
          long ticket = n == 1 ? limiter.tryAcquire(keys[k]) : limiter.tryAcquire(keys[k], n);
          if (Ticket.isPermit(ticket)) {
            admitted.addAndGet(k, n);
          } else if (Ticket.reason(ticket) != RejectReason.RATE_LIMITED
              || Ticket.retryAfterNanos(ticket) < 0) {
            violation.compareAndSet(null, "refused as " + Ticket.toString(ticket));
          }
        } else if (op < 50) {
          try {
            if (random.nextBoolean()) {
              limiter.tryAcquire(null);
            } else {
              limiter.tryAcquire(keys[k], random.nextBoolean() ? 0 : burst + 1);
            }
            violation.compareAndSet(null, "a null key or a bad weight was accepted");
          } catch (IllegalArgumentException expected) {
            // misuse refused, nothing taken
          }
        } else if (op < 60) {
          long available = limiter.availablePermits(keys[k]);
          if (available < 0 || available > burst) {
            violation.compareAndSet(null, "available " + available + " outside [0, " + burst + "]");
          }
        } else if (op < 63) {
          if (limiter.cleanUp() < 0) {
            violation.compareAndSet(null, "cleanUp returned a negative count");
          }
        } else if (op < 68) {
          long evictions = limiter.snapshot().evictions();
          if (evictions < lastEvictions) {
            violation.compareAndSet(null, "evictions went back");
          }
          lastEvictions = evictions;
          refusedNewKeys.accumulateAndGet(limiter.snapshot().rejectedNewKeys(), Math::max);
        } else {
          clock.advanceNanos(random.nextLong(MAX_STEP));
        }
        int tracked = limiter.keyCount();
        if (tracked < 0 || tracked > maxKeys) {
          violation.compareAndSet(null, "tracking " + tracked + " keys, at most " + maxKeys);
        }
        long count = admitted.get(k);
        long elapsed = clock.nanoTime() - startNanos;
        if (count > bound(burst, permits, elapsed)) {
          violation.compareAndSet(null, keys[k] + ": " + count + " admitted in " + elapsed
              + " ns, above " + bound(burst, permits, elapsed));
        }
      }
    });

    long elapsed = clock.nanoTime() - startNanos;
    long total = 0;
    for (int k = 0; k < keys.length; k++) {
      assertThat(admitted.get(k)).as(keys[k]).isLessThanOrEqualTo(bound(burst, permits, elapsed));
      total += admitted.get(k);
    }
    KeyedRateLimiterSnapshot counts = limiter.snapshot();
    System.out.printf("admitted %d over %d keys in %d ms; evictions %d, new keys refused %d%n",
        total, keys.length, elapsed / 1_000_000, counts.evictions(), counts.rejectedNewKeys());
    assertThat(violation.get()).isNull();
    assertThat(limiter.keyCount()).isBetween(0, maxKeys);
    assertThat(limiter.snapshot().evictions()).as("the table churned").isPositive();
    assertThat(total).isPositive();
  }
}
