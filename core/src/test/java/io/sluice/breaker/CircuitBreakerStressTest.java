package io.sluice.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Ticket;
import io.sluice.Workers;
import io.sluice.breaker.CircuitBreaker.State;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Many threads race on the breaker. Invariants: a half-open round never admits more probes than
 * configured, also when every thread asks at the same instant; a probe completed by two threads
 * at once counts once; the state machine keeps working under random outcomes, refusals, moving
 * time and completions on other threads.
 */
@Tag("stress")
class CircuitBreakerStressTest {
  private static final int THREADS = 8;
  private static final int PROBES = 4;

  /** A permit's half-open round: its epoch, as the breaker encodes it (see PackedCircuitBreaker). */
  private static long epochOf(long permit) {
    return permit >>> 47;
  }

  private static boolean isProbe(long permit) {
    return (permit & (1L << 46)) != 0;
  }

  /**
   * Round after round, the open time ends and every thread asks many times at once: exactly
   * PROBES are admitted per round. A probe failure then reopens the breaker for the next round.
   */
  @Test
  void threadsRacingIntoHalfOpenGetExactlyTheConfiguredProbes() throws Exception {
    ManualClock clock = new ManualClock();
    CircuitBreaker breaker = CircuitBreaker.newBuilder().clock(clock).countWindow(10)
        .minimumCalls(1).waitInOpen(Duration.ofMillis(5)).probes(PROBES).build();
    long opener = breaker.tryAcquire();
    breaker.onFailure(opener);
    int rounds = 300;
    ConcurrentLinkedQueue<Long> admitted = new ConcurrentLinkedQueue<>();
    List<Integer> perRound = new ArrayList<>();
    CyclicBarrier barrier = new CyclicBarrier(THREADS, () -> {
      perRound.add(admitted.size());
      Long probe = admitted.peek();
      if (probe != null) {
        breaker.onFailure(probe);            // reopens: the next round starts from OPEN
      }
      admitted.clear();
      clock.advance(Duration.ofMillis(6));   // past the open time
    });
    clock.advance(Duration.ofMillis(6));

    Workers.run(THREADS, thread -> {
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < 50; i++) {
          long ticket = breaker.tryAcquire();
          if (Ticket.isPermit(ticket)) {
            assertThat(isProbe(ticket)).isTrue();
            admitted.add(ticket);
          }
        }
        barrier.await(1, TimeUnit.MINUTES);
      }
    });

    assertThat(perRound).hasSize(rounds).containsOnly(PROBES);
    assertThat(breaker.state()).isEqualTo(State.OPEN);
  }

  /**
   * Everything at once: random outcomes, ignored and refused calls, a clock that moves, permits
   * completed by other threads, and some probes completed twice by two threads concurrently.
   */
  @Test
  void underChaosNoRoundAdmitsTooManyProbesAndNoProbeCountsTwice() throws Exception {
    ManualClock clock = new ManualClock();
    CircuitBreaker breaker = CircuitBreaker.newBuilder().clock(clock).countWindow(20)
        .minimumCalls(4).failureRateThreshold(30).slowCalls(Duration.ofMillis(2), 80)
        .waitInOpen(Duration.ofMillis(1)).probes(PROBES).maxRetryAfter(Duration.ofMillis(3))
        .build();
    // At most 5,000 operations per thread keeps the transitions (one per operation at most)
    // below 2^16, so a permit's epoch names one round.
    int operations = 5_000;
    ConcurrentHashMap<Long, AtomicInteger> probesPerRound = new ConcurrentHashMap<>();
    ConcurrentHashMap<Long, AtomicInteger> countedPerProbe = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Long> handOver = new ConcurrentLinkedQueue<>();
    AtomicLong probes = new AtomicLong();
    AtomicLong opened = new AtomicLong();

    Workers.run(THREADS, thread -> {
      SplittableRandom random = new SplittableRandom(thread);
      for (int i = 0; i < operations; i++) {
        if (random.nextInt(4) == 0) {
          clock.advanceNanos(random.nextLong(700_000L));
        }
        Long foreign = handOver.poll();
        if (foreign != null) {
          complete(breaker, foreign, random, countedPerProbe);
        }
        long ticket = breaker.tryAcquire();
        if (Ticket.isRejection(ticket)) {
          opened.incrementAndGet();
          continue;
        }
        if (isProbe(ticket)) {
          probes.incrementAndGet();
          probesPerRound.computeIfAbsent(epochOf(ticket), e -> new AtomicInteger())
              .incrementAndGet();
          if (random.nextInt(3) == 0) {
            // Two threads will complete this probe, perhaps at the same time.
            handOver.add(ticket);
            handOver.add(ticket);
            continue;
          }
        }
        if (random.nextInt(5) == 0) {
          handOver.add(ticket);
        } else {
          complete(breaker, ticket, random, countedPerProbe);
        }
      }
    });
    for (Long left; (left = handOver.poll()) != null; ) {
      complete(breaker, left, new SplittableRandom(left), countedPerProbe);
    }

    assertThat(probes.get()).as("many half-open rounds ran").isGreaterThan(200);
    assertThat(opened.get()).as("many calls failed fast").isGreaterThan(1000);
    probesPerRound.forEach((epoch, count) ->
        assertThat(count.get()).as("probes of round %d", epoch).isLessThanOrEqualTo(PROBES));
    countedPerProbe.forEach((probe, counted) ->
        assertThat(counted.get()).as("completions of probe %d that counted", probe)
            .isLessThanOrEqualTo(1));
  }

  private static void complete(CircuitBreaker breaker, long permit, SplittableRandom random,
      ConcurrentHashMap<Long, AtomicInteger> countedPerProbe) {
    int dice = random.nextInt(100);
    boolean counted;
    if (dice < 55) {
      counted = breaker.onSuccess(permit);
    } else if (dice < 80) {
      counted = breaker.onFailure(permit);
    } else if (dice < 90) {
      counted = breaker.onIgnored(permit);
    } else {
      counted = breaker.onRefused(permit, random.nextLong(2_000_000L) - 500_000L);
    }
    if (counted && isProbe(permit)) {
      countedPerProbe.computeIfAbsent(permit, p -> new AtomicInteger()).incrementAndGet();
    }
  }
}
