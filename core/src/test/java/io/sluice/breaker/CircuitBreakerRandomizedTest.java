package io.sluice.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.breaker.CircuitBreaker.State;
import io.sluice.client.RetryAfter;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, "Also": many threads mix every public operation of a {@link CircuitBreaker} at random,
 * misuse included (second completions, completions of rejection tickets, forged and corrupted
 * permits, permits of another breaker, permits never completed), with random outcomes, refusals
 * carrying any Retry-After, and a manual clock the threads move. After every step: no probe slot
 * is issued twice, no round has more probes out than configured, a probe's completion counts at
 * most once, a refusal is {@code CIRCUIT_OPEN} with a Retry-After within the configured waits,
 * and every snapshot is consistent with its state. At the end the breaker still recovers: a
 * healthy downstream closes it. The seed is printed; rerun one with {@code -Dsluice.seed=N}.
 */
@Tag("stress")
@Timeout(90)
class CircuitBreakerRandomizedTest {
  private static final int THREADS = 8;
  private static final int STEPS = 15_000;
  private static final int PROBES = 3;
  private static final long MS = 1_000_000L;
  private static final long WAIT_IN_OPEN = 2 * MS;
  private static final long SLOW = 3 * MS;
  private static final long MAX_RETRY_AFTER = 20 * MS;
  /** The open time is kept in units of 2^16 ns, rounded up. */
  private static final long OPEN_UNIT = 1L << 16;

  private static long epochOf(long permit) {
    return permit >>> 47;
  }

  private static boolean isProbe(long permit) {
    return (permit & (1L << 46)) != 0;
  }

  private static long slotOf(long permit) {
    return permit >>> 41 & 0x1F;
  }

  private static CircuitBreaker newBreaker(ManualClock clock) {
    return CircuitBreaker.newBuilder().clock(clock)
        .countWindow(20).minimumCalls(5).failureRateThreshold(50)
        .slowCalls(Duration.ofNanos(SLOW), 80)
        .waitInOpen(Duration.ofNanos(WAIT_IN_OPEN))
        .probes(PROBES)
        .maxRetryAfter(Duration.ofNanos(MAX_RETRY_AFTER))
        .build();
  }

  @Test
  void everyOperationMixedAtRandomKeepsTheStateMachineLegal() throws InterruptedException {
    long seed = Long.getLong("sluice.seed", System.nanoTime());
    System.out.println("CircuitBreakerRandomizedTest seed " + seed);
    ManualClock clock = new ManualClock(Long.MAX_VALUE - 5_000 * MS); // wraps within the run
    CircuitBreaker breaker = newBreaker(clock);
    CircuitBreaker other = newBreaker(clock);
    /** Probe slots held by the threads now, as epoch << 5 | slot. */
    Set<Long> liveSlots = ConcurrentHashMap.newKeySet();
    ConcurrentHashMap<Long, AtomicInteger> liveByRound = new ConcurrentHashMap<>();
    AtomicReference<String> violation = new AtomicReference<>();
    LongAdder admitted = new LongAdder();
    LongAdder probes = new LongAdder();
    LongAdder refused = new LongAdder();
    long longestWait = Math.max(WAIT_IN_OPEN, MAX_RETRY_AFTER) + OPEN_UNIT;

    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      List<Long> mine = new ArrayList<>();
      for (int step = 0; step < STEPS && violation.get() == null; step++) {
        int op = random.nextInt(100);
        if (op < 35 && mine.size() < 3) {
          long ticket = breaker.tryAcquire();
          if (Ticket.isPermit(ticket)) {
            admitted.increment();
            if (isProbe(ticket)) {
              probes.increment();
              if (slotOf(ticket) >= PROBES) {
                violation.compareAndSet(null, "probe slot " + slotOf(ticket));
              }
              if (!liveSlots.add(epochOf(ticket) << 5 | slotOf(ticket))) {
                violation.compareAndSet(null, "probe slot issued twice: " + ticket);
              }
              int out = liveByRound.computeIfAbsent(epochOf(ticket), e -> new AtomicInteger())
                  .incrementAndGet();
              if (out > PROBES) {
                violation.compareAndSet(null, out + " probes out in one round");
              }
            }
            mine.add(ticket);
          } else {
            refused.increment();
            long wait = Ticket.retryAfterNanos(ticket);
            if (Ticket.reason(ticket) != RejectReason.CIRCUIT_OPEN || wait < 0
                || wait > longestWait) {
              violation.compareAndSet(null, "refused as " + Ticket.toString(ticket));
            }
          }
        } else if (op < 70 && !mine.isEmpty()) {
          long permit = mine.remove(random.nextInt(mine.size()));
          boolean counted = complete(breaker, permit, random);
          if (isProbe(permit)) {
            liveSlots.remove(epochOf(permit) << 5 | slotOf(permit));
            liveByRound.get(epochOf(permit)).decrementAndGet();
            if (counted && complete(breaker, permit, random)) {
              violation.compareAndSet(null, "a probe counted twice: " + permit);
            }
          } else if (random.nextInt(4) == 0) {
            complete(breaker, permit, random); // may count again: documented for closed permits
          }
        } else if (op < 72 && !mine.isEmpty()) {
          long abandoned = mine.remove(random.nextInt(mine.size())); // never completed
          if (isProbe(abandoned)) {
            liveSlots.remove(epochOf(abandoned) << 5 | slotOf(abandoned));
            liveByRound.get(epochOf(abandoned)).decrementAndGet();
          }
        } else if (op < 77) {
          long forged = random.nextBoolean() || mine.isEmpty()
              ? random.nextLong(Long.MAX_VALUE)
              : mine.get(random.nextInt(mine.size())) ^ 1L << (41 + random.nextInt(6));
          complete(breaker, forged, random);
        } else if (op < 80) {
          long foreign = other.tryAcquire();
          if (Ticket.isPermit(foreign)) {
            complete(breaker, foreign, random);
            complete(other, foreign, random);
          }
        } else if (op < 82) {
          long rejection = Ticket.rejection(RejectReason.CIRCUIT_OPEN, random.nextLong(MS));
          if (complete(breaker, rejection, random)) {
            violation.compareAndSet(null, "a rejection ticket counted");
          }
        } else if (op < 94) {
          clock.advanceNanos(random.nextLong(MS / 4));
        } else {
          check(breaker.snapshot(), violation);
          if (breaker.retryAfterNanos() < 0 || breaker.state() == null) {
            violation.compareAndSet(null, "Retry-After below zero");
          }
        }
      }
      for (long permit : mine) {
        complete(breaker, permit, random);
      }
    });

    System.out.printf("admitted %d (probes %d), refused %d, final %s%n", admitted.sum(),
        probes.sum(), refused.sum(), breaker.snapshot());
    assertThat(violation.get()).isNull();
    assertThat(probes.sum()).as("the breaker went half-open").isGreaterThan(100);
    assertThat(admitted.sum() - probes.sum()).as("calls while closed").isGreaterThan(1_000);
    assertThat(refused.sum()).as("the breaker opened").isPositive();
    assertRecovers(breaker, clock);
  }

  /**
   * Completes a permit one of five ways, mostly as a success (a downstream that fails half the
   * time keeps the breaker open, and the test wants every state); returns whether it counted. A
   * refusal that asks to wait opens the breaker whatever the permit, so it is rare.
   */
  private static boolean complete(CircuitBreaker breaker, long permit, SplittableRandom random) {
    int outcome = random.nextInt(1000);
    if (outcome < 650) {
      return breaker.onSuccess(permit);
    } else if (outcome < 850) {
      return breaker.onFailure(permit);
    } else if (outcome < 930) {
      return breaker.onIgnored(permit);
    } else if (outcome < 998) {
      return breaker.onRefused(permit, random.nextBoolean() ? RetryAfter.ABSENT : 0L);
    }
    long[] waits = {1L, MS / 10, MS, Long.MAX_VALUE};
    return breaker.onRefused(permit, waits[random.nextInt(waits.length)]);
  }

  private static void check(CircuitBreakerSnapshot s, AtomicReference<String> violation) {
    boolean consistent = switch (s.state()) {
      case CLOSED -> s.windowFailures() >= 0 && s.windowFailures() <= s.windowCalls()
          && s.windowSlowCalls() >= 0 && s.windowSlowCalls() <= s.windowCalls()
          && s.retryAfterNanos() == 0;
      case OPEN -> s.windowCalls() == 0 && s.retryAfterNanos() >= 0
          && s.retryAfterNanos() <= Math.max(WAIT_IN_OPEN, MAX_RETRY_AFTER) + OPEN_UNIT;
      case HALF_OPEN -> s.windowCalls() == 0
          && (s.retryAfterNanos() == 0 || s.retryAfterNanos() == Math.min(SLOW, WAIT_IN_OPEN));
    };
    if (!consistent) {
      violation.compareAndSet(null, "inconsistent snapshot " + s);
    }
  }

  /** A healthy downstream from now on: quick successes close the breaker within a few rounds. */
  private static void assertRecovers(CircuitBreaker breaker, ManualClock clock) {
    for (int i = 0; i < 100 && breaker.state() != State.CLOSED; i++) {
      clock.advanceNanos(MAX_RETRY_AFTER + SLOW + OPEN_UNIT);
      long permit = breaker.tryAcquire();
      if (Ticket.isPermit(permit)) {
        breaker.onSuccess(permit);
      }
    }
    assertThat(breaker.state()).as("recovered: %s", breaker).isEqualTo(State.CLOSED);
    long permit = breaker.tryAcquire();
    assertThat(Ticket.isPermit(permit)).isTrue();
    assertThat(breaker.onSuccess(permit)).isTrue();
  }
}
