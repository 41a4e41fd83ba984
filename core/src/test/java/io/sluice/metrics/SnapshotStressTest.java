package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.limit.FixedLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Counts add up under concurrent admissions, rejections, releases of every outcome, weighted
 * permits and snapshots: every snapshot a reader takes during the run is monotonic and
 * self-consistent, and the final snapshot equals the writers' own tallies exactly.
 */
@Tag("stress")
class SnapshotStressTest {
  private static final int WRITERS = 3;
  private static final int OPERATIONS = 150_000;

  @Test
  void snapshotsTakenDuringConcurrentTrafficAreMonotonicAndTheFinalOneIsExact() throws Exception {
    AtomicLong rejectionsHeard = new AtomicLong();
    Limiter limiter = Limiter.newBuilder()
        .algorithm(FixedLimit.of(6))
        .window(Duration.ofMillis(1), Duration.ofMillis(5), 1)
        .rejectionListener((reason, priority, retryAfter) -> rejectionsHeard.incrementAndGet())
        .build();
    long[][] tallies = new long[WRITERS][];
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean writing = new AtomicBoolean(true);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int id = w;
      writers.add(new Thread(() -> tallies[id] = write(limiter, new SplittableRandom(id), start)));
    }
    List<String> violations = new ArrayList<>();
    Thread reader = new Thread(() -> {
      LimiterSnapshot previous = limiter.snapshot();
      while (writing.get()) {
        LimiterSnapshot s = limiter.snapshot();
        check(previous, s, violations);
        previous = s;
      }
    });
    runTogether(writers, reader, start, writing);

    assertThat(violations).isEmpty();
    long[] total = new long[5];
    for (long[] t : tallies) {
      for (int i = 0; i < total.length; i++) {
        total[i] += t[i];
      }
    }
    LimiterSnapshot end = limiter.snapshot();
    assertThat(end.admitted()).isEqualTo(total[0]);
    assertThat(end.succeeded()).isEqualTo(total[1]);
    assertThat(end.dropped()).isEqualTo(total[2]);
    assertThat(end.ignored()).isEqualTo(total[3]);
    assertThat(end.rejected()).isEqualTo(total[4]).isEqualTo(rejectionsHeard.get());
    assertThat(end.inFlight()).isZero();
    assertThat(end.completed()).isEqualTo(end.admitted());
    assertThat(end.rtt().count()).isBetween(1L, end.succeeded());
  }

  /**
   * Weighted permits only, the case where the permit count is derived from two variables: while
   * writers acquire and release cost-2 permits as fast as they can, a reader's admitted() never
   * goes back and never exceeds what the writers have been granted so far.
   */
  @Test
  void admittedNeverGoesBackNorAheadUnderWeightedTraffic() throws Exception {
    Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(64)).build();
    AtomicLong granted = new AtomicLong();
    AtomicBoolean writing = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      writers.add(new Thread(() -> {
        await(start);
        for (int i = 0; i < OPERATIONS; i++) {
          long ticket = limiter.tryAcquire(2);
          if (Ticket.isPermit(ticket)) {
            granted.incrementAndGet();
            limiter.release(ticket, Outcome.SUCCESS);
          }
        }
      }));
    }
    List<String> violations = new ArrayList<>();
    Thread reader = new Thread(() -> {
      long previous = 0;
      while (writing.get() && violations.size() < 10) {
        long seen = limiter.snapshot().admitted();
        long bound = granted.get() + WRITERS; // a writer may hold a permit not yet counted
        if (seen < previous || seen > bound) {
          violations.add("admitted " + previous + " -> " + seen + ", granted at most " + bound);
        }
        previous = seen;
      }
    });
    runTogether(writers, reader, start, writing);

    assertThat(violations).isEmpty();
    assertThat(limiter.snapshot().admitted()).isEqualTo(granted.get());
  }

  /** Starts the writers and the reader, releases the writers, and stops the reader after them. */
  private static void runTogether(List<Thread> writers, Thread reader, CountDownLatch start,
      AtomicBoolean writing) throws InterruptedException {
    writers.forEach(Thread::start);
    reader.start();
    start.countDown();
    for (Thread t : writers) {
      t.join();
    }
    writing.set(false);
    reader.join();
  }

  /** Runs one writer; returns {admitted, succeeded, dropped, ignored, rejected}. */
  private static long[] write(Limiter limiter, SplittableRandom random, CountDownLatch start) {
    long[] tally = new long[5];
    long[] held = new long[4];
    int holding = 0;
    await(start);
    for (int i = 0; i < OPERATIONS; i++) {
      if (holding < held.length && random.nextInt(3) != 0) {
        long ticket = limiter.tryAcquire(random.nextInt(8) == 0 ? 2 : 1);
        if (Ticket.isPermit(ticket)) {
          held[holding++] = ticket;
          tally[0]++;
        } else {
          tally[4]++;
        }
      } else if (holding > 0) {
        int o = random.nextInt(10);
        Outcome outcome = o < 7 ? Outcome.SUCCESS : o < 9 ? Outcome.DROPPED : Outcome.IGNORED;
        limiter.release(held[--holding], outcome);
        tally[1 + outcome.ordinal()]++;
      }
    }
    while (holding > 0) {
      limiter.release(held[--holding], Outcome.SUCCESS);
      tally[1]++;
    }
    return tally;
  }

  private static void check(LimiterSnapshot before, LimiterSnapshot after, List<String> violations) {
    if (violations.size() > 10) {
      return;
    }
    if (after.admitted() < before.admitted() || after.completed() < before.completed()
        || after.dropped() < before.dropped() || after.ignored() < before.ignored()
        || after.rejected() < before.rejected() || after.rtt().count() < before.rtt().count()
        || after.windowsClosed() < before.windowsClosed()) {
      violations.add("went back: " + before + " -> " + after);
    }
    if (after.succeeded() < 0 || after.inFlight() > after.limit()) {
      violations.add("inconsistent: " + after);
    }
    if (after.rtt().minus(before.rtt()).count() != after.rtt().count() - before.rtt().count()) {
      violations.add("a bucket went back: " + before.rtt() + " -> " + after.rtt());
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
