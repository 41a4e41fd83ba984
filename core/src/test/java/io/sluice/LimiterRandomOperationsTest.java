package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.WindowStats;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Randomized operations on the limiter: every public operation (milestone samples and cost
 * adjustments against the single-threaded model; LimiterFeaturesStressTest takes them to many
 * threads), mixed with misuse (second releases, corrupted and foreign tickets, rejection tickets
 * given to release, milestones and adjustments of released permits, a null outcome, costs out of
 * range or above the limit) and listeners that throw, with the invariants checked
 * after each step and at the end. Seeded: the seed is printed, and {@code -Dsluice.seed=N} replays
 * it (exactly in the single-threaded test; the same operations per thread in the concurrent one).
 *
 * <p>A corrupted ticket is refused but for a 2^-32 chance each (see {@link Limiter#release}), so
 * a run of these tests fails spuriously with a probability below 10^-4.
 */
class LimiterRandomOperationsTest {
  private static final int LOW = 2;
  private static final int HIGH = 40;
  private static final int MAX = 4096;

  private static long seed() {
    String given = System.getProperty("sluice.seed");
    long seed = given != null ? Long.parseLong(given) : System.nanoTime();
    System.out.println("LimiterRandomOperationsTest seed: " + seed + " (replay: -Dsluice.seed="
        + seed + ")");
    return seed;
  }

  /** A limit that jumps to a seeded random value in [LOW, HIGH] every window, below MAX. */
  static final class RandomLimit implements LimitAlgorithm {
    private final SplittableRandom random;
    /** The highest limit ever in force: in-flight units may never exceed it. */
    volatile int highest = LOW;

    RandomLimit(long seed) {
      this.random = new SplittableRandom(seed);
    }

    @Override
    public int initialLimit() {
      return LOW;
    }

    @Override
    public int minLimit() {
      return LOW;
    }

    @Override
    public int maxLimit() {
      return MAX;
    }

    @Override
    public int update(WindowStats window) {
      int next = LOW + random.nextInt(HIGH - LOW + 1);
      highest = Math.max(highest, next);
      return next;
    }
  }

  /** Listeners that count their calls and throw on some of them. */
  static final class ThrowingListeners implements LimitListener, RejectionListener {
    final LongAdder windows = new LongAdder();
    final LongAdder rejections = new LongAdder();

    @Override
    public void onWindowClosed(WindowStats window, int newLimit) {
      windows.increment();
      if (windows.sum() % 3 == 0) {
        throw new IllegalStateException("limit listener bug");
      }
    }

    @Override
    public void onRejected(RejectReason reason, Priority priority, long retryAfterNanos) {
      rejections.increment();
      if (rejections.sum() % 5 == 0) {
        throw new IllegalStateException("rejection listener bug");
      }
    }
  }

  private static WindowedLimiter limiter(ManualClock clock, RandomLimit algorithm,
      ThrowingListeners l) {
    return (WindowedLimiter) Limiter.newBuilder()
        .clock(clock)
        .algorithm(() -> algorithm)
        .window(Duration.ofMillis(1), Duration.ofMillis(5), 3)
        .maxSamplingPeriod(4)
        .listener(l)
        .rejectionListener(l)
        .build();
  }

  /**
   * Releases a permit; a limit listener's exception propagates from the release that closed the
   * window, after the permit was released, so it counts as a release. Returns what release did.
   */
  private static boolean release(Limiter limiter, long ticket, Outcome outcome) {
    try {
      return limiter.release(ticket, outcome);
    } catch (IllegalStateException e) {
      assertThat(e).hasMessage("limit listener bug");
      return true;
    }
  }

  private static Outcome anyOutcome(SplittableRandom random) {
    return Outcome.values()[random.nextInt(Outcome.values().length)];
  }

  /** A corrupted copy of a held ticket: ticket +- k, or one or more flipped bits. */
  private static long corrupt(long ticket, SplittableRandom random) {
    return switch (random.nextInt(3)) {
      case 0 -> ticket + 1 + random.nextInt(8);
      case 1 -> ticket - 1 - random.nextInt(8);
      default -> ticket ^ (1L << random.nextInt(64) | random.nextLong() & random.nextLong());
    };
  }

  /** What one thread's model counted; the limiter's own counts must agree at rest. */
  static final class Counts {
    long admitted;
    long released;
    long drops;
    long ignored;
    long rejections;
    long badReleases;
    long badSamples;
    long badAdjustments;
  }

  /** Takes a permit's milestone sample; a limit listener's exception counts as taken. */
  private static boolean sample(Limiter limiter, long ticket) {
    try {
      return limiter.sample(ticket);
    } catch (IllegalStateException e) {
      assertThat(e).hasMessage("limit listener bug");
      return true;
    }
  }

  /**
   * One thread against a model: the limiter's in-flight units, decisions and every count must
   * equal the model's after every step. Fully reproducible from the seed.
   */
  @Test
  void singleThreadedOperationsMatchAModelAfterEveryStep() {
    long seed = seed();
    for (int run = 0; run < 20; run++) {
      long runSeed = seed + run;
      String context = "seed " + seed + ", run " + run;
      SplittableRandom random = new SplittableRandom(runSeed);
      ManualClock clock = new ManualClock();
      ThrowingListeners listeners = new ThrowingListeners();
      WindowedLimiter limiter = limiter(clock, new RandomLimit(runSeed), listeners);
      Limiter foreign = Limiter.newBuilder().algorithm(FixedLimit.of(MAX)).build();
      List<long[]> held = new ArrayList<>();
      List<Long> done = new ArrayList<>();
      Counts model = new Counts();
      int inFlight = 0;
      long windows = 0;
      for (int step = 0; step < 5_000; step++) {
        int op = random.nextInt(100);
        String at = context + ", step " + step + ", op " + op;
        if (op < 35) {
          int limit = limiter.limit();
          // In-flight units above the limit after an extra charge: nothing fits.
          int cost = random.nextInt(4) == 0 ? 1 + random.nextInt(MAX) : 1 + random.nextInt(4);
          long ticket = cost == 1 && random.nextBoolean()
              ? limiter.tryAcquire() : limiter.tryAcquire(cost);
          if (inFlight + cost <= limit) {
            assertThat(Ticket.isPermit(ticket)).as(at + ": admit cost %d at %d/%d", cost, inFlight,
                limit).isTrue();
            held.add(new long[] {ticket, cost, 0});
            inFlight += cost;
            model.admitted++;
          } else {
            assertThat(Ticket.isRejection(ticket)).as(at + ": refuse cost %d at %d/%d", cost,
                inFlight, limit).isTrue();
            assertThat(Ticket.reason(ticket)).isEqualTo(RejectReason.LIMIT_REACHED);
            assertThat(Ticket.retryAfterNanos(ticket)).isNotNegative();
            model.rejections++;
            if (random.nextBoolean()) {
              assertThat(limiter.release(ticket, anyOutcome(random))).as(at).isFalse();
              model.badReleases++;
            }
          }
        } else if (op < 65 && !held.isEmpty()) {
          long[] permit = held.remove(random.nextInt(held.size()));
          Outcome outcome = anyOutcome(random);
          assertThat(release(limiter, permit[0], outcome)).as(at).isTrue();
          inFlight -= (int) permit[1];
          model.released++;
          model.drops += outcome == Outcome.DROPPED ? 1 : 0;
          model.ignored += outcome == Outcome.IGNORED ? 1 : 0;
          done.add(permit[0]);
        } else if (op < 72 && !done.isEmpty()) {
          long stale = done.get(random.nextInt(done.size()));
          assertThat(limiter.release(stale, anyOutcome(random))).as(at + ": second release")
              .isFalse();
          model.badReleases++;
        } else if (op < 82 && !held.isEmpty()) {
          long ticket = held.get(random.nextInt(held.size()))[0];
          long corrupted = corrupt(ticket, random);
          assertThat(limiter.release(corrupted, anyOutcome(random)))
              .as(at + ": corrupted %s of %s", corrupted, ticket).isFalse();
          model.badReleases++;
        } else if (op < 86) {
          long theirs = foreign.tryAcquire();
          assertThat(limiter.release(theirs, anyOutcome(random))).as(at + ": foreign").isFalse();
          model.badReleases++;
          assertThat(foreign.release(theirs, Outcome.IGNORED)).isTrue();
        } else if (op < 88 && !held.isEmpty()) {
          long ticket = held.get(random.nextInt(held.size()))[0];
          assertThatThrownBy(() -> limiter.release(ticket, null))
              .isInstanceOf(IllegalArgumentException.class);
        } else if (op < 90) {
          int cost = random.nextBoolean() ? -random.nextInt(3) : MAX + 1 + random.nextInt(3);
          assertThatThrownBy(() -> limiter.tryAcquire(cost))
              .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cost");
        } else if (op < 93 && !held.isEmpty()) {
          // A cost correction: a refund always, an extra charge only within the limit.
          long[] permit = held.get(random.nextInt(held.size()));
          int newCost = 1 + random.nextInt(6);
          boolean granted = newCost <= permit[1] || inFlight <= limiter.limit();
          assertThat(limiter.adjust(permit[0], newCost))
              .as(at + ": adjust %d to %d at %d/%d", permit[1], newCost, inFlight, limiter.limit())
              .isEqualTo(granted);
          if (granted) {
            inFlight += newCost - (int) permit[1];
            permit[1] = newCost;
          }
        } else if (op < 95 && !held.isEmpty()) {
          long[] permit = held.get(random.nextInt(held.size()));
          assertThat(sample(limiter, permit[0])).as(at + ": milestone").isEqualTo(permit[2] == 0);
          permit[2] = 1;
        } else if (op < 96 && !done.isEmpty()) {
          long stale = done.get(random.nextInt(done.size()));
          if (random.nextBoolean()) {
            assertThat(limiter.sample(stale)).as(at + ": stale milestone").isFalse();
            model.badSamples++;
          } else {
            assertThat(limiter.adjust(stale, 1)).as(at + ": stale adjustment").isFalse();
            model.badAdjustments++;
          }
        } else {
          clock.advanceNanos(random.nextLong(3_000_000));
        }

        assertThat(limiter.inFlight()).as(at).isEqualTo(inFlight);
        assertThat(limiter.limit()).as(at).isBetween(LOW, HIGH);
        assertThat(limiter.snapshot().rejected()).as(at).isEqualTo(model.rejections);
        assertThat(limiter.snapshot().invalidReleases()).as(at).isEqualTo(model.badReleases);
        assertThat(limiter.snapshot().invalidSamples()).as(at).isEqualTo(model.badSamples);
        assertThat(limiter.snapshot().invalidAdjustments()).as(at).isEqualTo(model.badAdjustments);
        assertThat(limiter.admitted()).as(at).isEqualTo(model.admitted);
        assertThat(limiter.releases()).as(at).isEqualTo(model.released);
        assertThat(limiter.drops()).as(at).isEqualTo(model.drops);
        assertThat(limiter.ignoredReleases()).as(at).isEqualTo(model.ignored);
        assertThat(listeners.rejections.sum()).as(at).isEqualTo(model.rejections);
        assertThat(limiter.snapshot().windowsClosed()).as(at).isGreaterThanOrEqualTo(windows)
            .isEqualTo(listeners.windows.sum());
        windows = limiter.snapshot().windowsClosed();
      }
      for (long[] permit : held) {
        assertThat(release(limiter, permit[0], Outcome.SUCCESS)).as(context).isTrue();
        model.released++;
      }
      assertThat(limiter.inFlight()).as(context).isZero();
      assertThat(limiter.admitted()).as(context).isEqualTo(model.admitted)
          .isEqualTo(limiter.releases());
      assertThat(limiter.snapshot().invalidReleases()).as(context).isEqualTo(model.badReleases);
      assertThat(windows).as(context + ": windows closed, listeners threw").isGreaterThan(10);
      assertThat(model.admitted).as(context).isGreaterThan(300);
      assertThat(model.rejections).as(context).isGreaterThan(300);
      assertThat(model.badReleases).as(context).isGreaterThan(300);
    }
  }

  /**
   * Many threads mix every operation on one limiter; permits are sometimes handed to another
   * thread to release. After each step: in-flight within [0, the highest limit ever in force],
   * and what each thread holds within it too; the limit within its range; a refused ticket says
   * LIMIT_REACHED. At the end: in-flight 0, admitted equals released, and every count equals what
   * the threads did, invalid releases exactly the bad ones attempted.
   */
  @Test
  @Tag("stress")
  @Timeout(90)
  void concurrentOperationsKeepEveryInvariant() throws Exception {
    long seed = seed();
    int threads = 8;
    ManualClock clock = new ManualClock();
    ThrowingListeners listeners = new ThrowingListeners();
    RandomLimit algorithm = new RandomLimit(seed);
    WindowedLimiter limiter = limiter(clock, algorithm, listeners);
    Limiter foreign = Limiter.newBuilder().algorithm(FixedLimit.of(MAX)).build();
    ConcurrentLinkedQueue<long[]> handOver = new ConcurrentLinkedQueue<>();
    AtomicInteger active = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    AtomicLong released = new AtomicLong();
    AtomicLong drops = new AtomicLong();
    AtomicLong ignored = new AtomicLong();
    AtomicLong rejections = new AtomicLong();
    AtomicLong badReleases = new AtomicLong();
    String context = "seed " + seed;
    Workers.run(threads, worker -> {
      SplittableRandom random = new SplittableRandom(seed * 31 + worker);
      List<long[]> held = new ArrayList<>();
      List<Long> done = new ArrayList<>();
      long[] seen = new long[6];
      for (int step = 0; step < 40_000; step++) {
        int op = random.nextInt(100);
        String at = context + ", worker " + worker + ", step " + step + ", op " + op;
        if (op < 35) {
          boolean huge = random.nextInt(8) == 0;
          int cost = huge ? HIGH + 1 + random.nextInt(MAX - HIGH) : 1 + random.nextInt(4);
          long ticket = limiter.tryAcquire(cost);
          if (Ticket.isPermit(ticket)) {
            assertThat(huge).as(at + ": cost %d above every limit admitted", cost).isFalse();
            // Units held by the threads are in flight: never above the highest limit in force.
            int now = active.addAndGet(cost);
            assertThat(now).as(at + ": units held").isLessThanOrEqualTo(algorithm.highest);
            admitted.incrementAndGet();
            held.add(new long[] {ticket, cost});
          } else {
            assertThat(Ticket.reason(ticket)).as(at).isEqualTo(RejectReason.LIMIT_REACHED);
            rejections.incrementAndGet();
            if (random.nextInt(4) == 0) {
              assertThat(limiter.release(ticket, anyOutcome(random))).as(at).isFalse();
              badReleases.incrementAndGet();
            }
          }
        } else if (op < 62 && !held.isEmpty()) {
          long[] permit = held.remove(random.nextInt(held.size()));
          if (random.nextInt(5) == 0) {
            handOver.add(permit);
            continue;
          }
          finish(limiter, permit, anyOutcome(random), active, released, drops, ignored, at);
          done.add(permit[0]);
        } else if (op < 70) {
          long[] theirs = handOver.poll();
          if (theirs != null) {
            finish(limiter, theirs, anyOutcome(random), active, released, drops, ignored, at);
            done.add(theirs[0]);
          }
        } else if (op < 75 && !done.isEmpty()) {
          long stale = done.get(random.nextInt(done.size()));
          assertThat(limiter.release(stale, anyOutcome(random))).as(at + ": second release")
              .isFalse();
          badReleases.incrementAndGet();
        } else if (op < 85 && !held.isEmpty()) {
          long ticket = held.get(random.nextInt(held.size()))[0];
          long corrupted = corrupt(ticket, random);
          assertThat(limiter.release(corrupted, anyOutcome(random)))
              .as(at + ": corrupted %s of %s", corrupted, ticket).isFalse();
          badReleases.incrementAndGet();
        } else if (op < 88) {
          long theirs = foreign.tryAcquire();
          assertThat(limiter.release(theirs, anyOutcome(random))).as(at + ": foreign").isFalse();
          badReleases.incrementAndGet();
          assertThat(foreign.release(theirs, Outcome.IGNORED)).isTrue();
        } else if (op < 89 && !held.isEmpty()) {
          long ticket = held.get(random.nextInt(held.size()))[0];
          assertThatThrownBy(() -> limiter.release(ticket, null))
              .isInstanceOf(IllegalArgumentException.class);
        } else if (op < 90) {
          int cost = random.nextBoolean() ? -random.nextInt(3) : MAX + 1 + random.nextInt(3);
          assertThatThrownBy(() -> limiter.tryAcquire(cost))
              .isInstanceOf(IllegalArgumentException.class);
        } else if (op < 96) {
          clock.advanceNanos(random.nextLong(1_000_000));
        } else {
          // Readers: everything a metrics scrape calls; the counts never go back.
          assertThat(limiter.limit()).as(at).isBetween(LOW, HIGH);
          assertThat(limiter.retryAfterNanos()).as(at).isNotNegative();
          LimiterSnapshot counts = limiter.snapshot();
          long[] now = {limiter.admitted(), limiter.releases(), counts.rejected(),
              counts.invalidReleases(), counts.windowsClosed(), limiter.drops()};
          for (int i = 0; i < now.length; i++) {
            assertThat(now[i]).as(at + ": count %d", i).isGreaterThanOrEqualTo(seen[i]);
          }
          seen = now;
        }
        assertThat(limiter.inFlight()).as(at + ": in-flight").isBetween(0, algorithm.highest);
      }
      for (long[] permit : held) {
        finish(limiter, permit, Outcome.SUCCESS, active, released, drops, ignored, context);
      }
    });
    for (long[] permit; (permit = handOver.poll()) != null; ) {
      finish(limiter, permit, Outcome.SUCCESS, active, released, drops, ignored, context);
    }
    assertThat(active.get()).as(context).isZero();
    assertThat(limiter.inFlight()).as(context).isZero();
    assertThat(released.get()).as(context).isEqualTo(admitted.get());
    assertThat(limiter.admitted()).as(context).isEqualTo(admitted.get());
    assertThat(limiter.releases()).as(context).isEqualTo(released.get());
    assertThat(limiter.drops()).as(context).isEqualTo(drops.get());
    assertThat(limiter.ignoredReleases()).as(context).isEqualTo(ignored.get());
    assertThat(limiter.snapshot().rejected()).as(context).isEqualTo(rejections.get())
        .isEqualTo(listeners.rejections.sum());
    assertThat(limiter.snapshot().invalidReleases()).as(context).isEqualTo(badReleases.get());
    assertThat(limiter.snapshot().windowsClosed()).as(context).isEqualTo(listeners.windows.sum())
        .isGreaterThan(10);
    assertThat(admitted.get()).as(context).isGreaterThan(threads * 1_000L);
    assertThat(rejections.get()).as(context).isGreaterThan(threads * 1_000L);
    assertThat(badReleases.get()).as(context).isGreaterThan(threads * 1_000L);
  }

  /** Releases a held permit that must be released by this call. */
  private static void finish(Limiter limiter, long[] permit, Outcome outcome, AtomicInteger active,
      AtomicLong released, AtomicLong drops, AtomicLong ignored, String at) {
    active.addAndGet((int) -permit[1]);
    assertThat(release(limiter, permit[0], outcome)).as(at + ": release").isTrue();
    released.incrementAndGet();
    if (outcome == Outcome.DROPPED) {
      drops.incrementAndGet();
    } else if (outcome == Outcome.IGNORED) {
      ignored.incrementAndGet();
    }
  }
}
