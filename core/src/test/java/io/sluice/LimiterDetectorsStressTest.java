package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.detector.OverloadLevel;
import io.sluice.limit.AimdLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads acquire at every priority and release while another thread toggles a detector
 * through NONE, ELEVATED and SEVERE, so the admit path and the window closer read it mid-change.
 * Invariants: units in flight never exceed the largest limit; every permit is released once;
 * only SHEDDABLE work is refused for overload; in-flight returns to zero; counts add up.
 */
@Tag("stress")
class LimiterDetectorsStressTest {
  private static final int THREADS = 6;
  private static final int OPERATIONS = 40_000;
  private static final int MAX_LIMIT = 24;

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aTogglingDetectorLosesNoPermitAndNeverLetsTheLimitOvershoot() throws Exception {
    ManualClock clock = new ManualClock();
    SettableDetector detector = new SettableDetector("heartbeat");
    Limiter limiter = Limiter.newBuilder().clock(clock)
        .algorithm(AimdLimit.newBuilder().minLimit(2).initialLimit(MAX_LIMIT).maxLimit(MAX_LIMIT)
            .timeout(Duration.ofMillis(5)))
        .window(Duration.ofMillis(1), Duration.ofMillis(10), 8)
        .detector(detector)
        .build();
    AtomicInteger active = new AtomicInteger();
    AtomicInteger maxActive = new AtomicInteger();
    LongAdder admitted = new LongAdder();
    LongAdder refused = new LongAdder();
    LongAdder overloadRefusedOthers = new LongAdder();
    AtomicLong failedReleases = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    Priority[] priorities = Priority.values();

    Thread toggler = new Thread(() -> {
      OverloadLevel[] levels = OverloadLevel.values();
      int i = 0;
      while (running.get()) {
        detector.set(levels[i++ % levels.length]);
        Thread.yield();
      }
      detector.set(OverloadLevel.NONE);
    });
    Thread[] threads = new Thread[THREADS];
    for (int t = 0; t < THREADS; t++) {
      SplittableRandom random = new SplittableRandom(42 + t);
      threads[t] = new Thread(() -> {
        long[] held = new long[4];
        int[] costs = new int[4];
        int holding = 0;
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < OPERATIONS; i++) {
          clock.advanceNanos(random.nextInt(200_000));
          if (holding == held.length || (holding > 0 && random.nextBoolean())) {
            int k = random.nextInt(holding);
            active.addAndGet(-costs[k]);
            Outcome outcome = random.nextInt(20) == 0 ? Outcome.DROPPED : Outcome.SUCCESS;
            if (!limiter.release(held[k], outcome)) {
              failedReleases.incrementAndGet();
            }
            held[k] = held[--holding];
            costs[k] = costs[holding];
            continue;
          }
          Priority priority = priorities[random.nextInt(priorities.length)];
          int cost = 1 + random.nextInt(2);
          long ticket = limiter.tryAcquire(cost, priority);
          if (Ticket.isRejection(ticket)) {
            refused.increment();
            if (Ticket.reason(ticket) == RejectReason.PROCESS_OVERLOADED
                && priority != Priority.SHEDDABLE) {
              overloadRefusedOthers.increment();
            }
            continue;
          }
          admitted.increment();
          maxActive.accumulateAndGet(active.addAndGet(cost), Math::max);
          held[holding] = ticket;
          costs[holding++] = cost;
        }
        for (int k = 0; k < holding; k++) {
          active.addAndGet(-costs[k]);
          if (!limiter.release(held[k], Outcome.SUCCESS)) {
            failedReleases.incrementAndGet();
          }
        }
      });
      threads[t].start();
    }
    toggler.start();
    start.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    running.set(false);
    toggler.join();

    assertThat(failedReleases.get()).as("releases of held permits that failed").isZero();
    assertThat(overloadRefusedOthers.sum()).as("non-SHEDDABLE refused for overload").isZero();
    assertThat(maxActive.get()).as("units in flight at once").isLessThanOrEqualTo(MAX_LIMIT);
    assertThat(limiter.inFlight()).isZero();
    assertThat(active.get()).isZero();
    assertThat(limiter.snapshot().rejected()).isEqualTo(refused.sum());
    assertThat(limiter.snapshot().rejected(RejectReason.PROCESS_OVERLOADED, Priority.SHEDDABLE))
        .as("the toggling detector was seen SEVERE").isPositive();
    LimiterSnapshot snapshot = limiter.snapshot();
    assertThat(snapshot.admitted()).isEqualTo(admitted.sum());
    assertThat(snapshot.completed()).isEqualTo(admitted.sum());
    assertThat(limiter.snapshot().windowsClosed()).isPositive();
  }
}
