package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.FixedLimit;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/**
 * The limiter's Retry-After on a manual clock: what it tells refused clients at a cold start, in
 * steady overload (against the measured truth), after the overload ends (idle or not), while a hung
 * backend releases nothing, and that jitter never takes it beyond the configured maximum.
 */
class LimiterRetryAfterTest {
  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;
  private static final int WORKERS = 4;
  /** Service times in turn: median 20 ms. */
  private static final long[] SERVICE = {14 * MS, 26 * MS, 18 * MS, 22 * MS, 20 * MS};
  private static final long MEDIAN_SERVICE = 20 * MS;

  private final ManualClock clock = new ManualClock();
  /** The median round-trip time of the limiter's last closed window with samples; 0 before. */
  private long publishedMedian;
  private int windowsClosed;

  private Limiter limiter(double jitter) {
    return Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(WORKERS))
        .retryAfterJitter(jitter)
        .listener((window, newLimit) -> {
          windowsClosed++;
          if (window.sampleCount() > 0) {
            publishedMedian = window.rttNanos(0.5);
          }
        })
        .build();
  }

  /** One refusal: when, the estimate before jitter, the hint its ticket carried, and its truth. */
  static final class Refusal {
    final long atNanos;
    final long estimateNanos;
    final long ticketHintNanos;
    final long medianAtRefusal;
    long truthNanos = -1;

    Refusal(long atNanos, long estimateNanos, long ticketHintNanos, long medianAtRefusal) {
      this.atNanos = atNanos;
      this.estimateNanos = estimateNanos;
      this.ticketHintNanos = ticketHintNanos;
      this.medianAtRefusal = medianAtRefusal;
    }
  }

  /**
   * An open-loop server on the manual clock: a request arrives every {@code gap}, holds its
   * permit for its service time (one of SERVICE in turn; the limit equals the workers) and is
   * released SUCCESS. For each refusal it measures the truth: the time until in-flight work
   * next fell below the limit, when a request arriving then would have been admitted.
   */
  final class Server {
    final Limiter limiter;
    final PriorityQueue<long[]> completions =
        new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    final List<Refusal> refusals = new ArrayList<>();
    final List<Refusal> unsettled = new ArrayList<>();
    long nextArrival;
    long lastReleaseNanos;
    int served;
    boolean hung;

    Server(Limiter limiter) {
      this.limiter = limiter;
      this.nextArrival = clock.nanoTime();
    }

    /** Runs until {@code until} with a request every {@code gap} (0: no arrivals). */
    void run(long until, long gap) {
      if (gap == 0) {
        nextArrival = Long.MAX_VALUE;
      } else if (nextArrival == Long.MAX_VALUE) {
        nextArrival = clock.nanoTime();
      }
      for (;;) {
        long completion =
            hung || completions.isEmpty() ? Long.MAX_VALUE : completions.peek()[0];
        long next = Math.min(completion, nextArrival);
        if (next > until) {
          clock.setNanos(until);
          return;
        }
        clock.setNanos(next);
        if (completion <= nextArrival) {
          limiter.release(completions.poll()[1], Outcome.SUCCESS);
          lastReleaseNanos = next;
          if (limiter.inFlight() < limiter.limit()) {
            for (Refusal r : unsettled) {
              r.truthNanos = next - r.atNanos;
            }
            unsettled.clear();
          }
        } else {
          arrive(next);
          nextArrival = next + gap;
        }
      }
    }

    private void arrive(long now) {
      long ticket = limiter.tryAcquire();
      if (Ticket.isPermit(ticket)) {
        completions.add(new long[] {now + SERVICE[served++ % SERVICE.length], ticket});
        return;
      }
      Refusal r = new Refusal(now, limiter.retryAfterNanos(), Ticket.retryAfterNanos(ticket),
          publishedMedian);
      refusals.add(r);
      unsettled.add(r);
    }

    /** The settled refusals from {@code fromNanos} on. */
    List<Refusal> settledFrom(long fromNanos) {
      return refusals.stream().filter(r -> r.atNanos >= fromNanos && r.truthNanos >= 0).toList();
    }
  }

  private static double quantile(double[] values, double q) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.round(q * (sorted.length - 1))];
  }

  @Test
  void atAColdStartTheHintGrowsWithTheAgeOfTheWorkInFlight() {
    Limiter limiter = limiter(0.0);
    long[] held = new long[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
      held[i] = limiter.tryAcquire();
    }
    // No sample yet: the first refusals of the burst are told the floor.
    assertThat(Ticket.retryAfterNanos(limiter.tryAcquire())).isEqualTo(10 * MS);
    assertThat(limiter.retryAfterNanos()).isEqualTo(10 * MS);

    // Requests that take 150 ms: while they run, refused clients (one a millisecond) are told
    // three times their age, not a fixed 10 ms; the tickets, which read the clock on few
    // refusals, tell what the estimate tells at the same moment.
    for (long age = MS; age <= 120 * MS; age += MS) {
      clock.setNanos(age);
      long told = Math.max(10 * MS, 3 * age);
      assertThat(Ticket.retryAfterNanos(limiter.tryAcquire())).as("at %d ms", age / MS)
          .isEqualTo(told);
      assertThat(limiter.retryAfterNanos()).isEqualTo(told);
    }

    // The first completion: a release is progress, and once a window closes its median is the
    // floor of every hint.
    clock.setNanos(150 * MS);
    for (long permit : held) {
      limiter.release(permit, Outcome.SUCCESS);
    }
    assertThat(limiter.retryAfterNanos()).isEqualTo(10 * MS);
    for (int w = 0; w < 6 && windowsClosed == 0; w++) {
      long[] batch = new long[WORKERS];
      for (int i = 0; i < WORKERS; i++) {
        batch[i] = limiter.tryAcquire();
      }
      clock.advanceNanos(150 * MS);
      for (long permit : batch) {
        limiter.release(permit, Outcome.SUCCESS);
      }
    }
    assertThat(windowsClosed).isPositive();
    assertThat(publishedMedian).isBetween(140 * MS, 160 * MS);
    for (int i = 0; i < WORKERS; i++) {
      limiter.tryAcquire();
    }
    assertThat(limiter.retryAfterNanos()).isEqualTo(publishedMedian);
    assertThat(Ticket.retryAfterNanos(limiter.tryAcquire())).isEqualTo(publishedMedian);
  }

  @Test
  void inSteadyOverloadTheHintIsAboutTheMedianServiceTimeAndNeverBelowIt() {
    Limiter limiter = limiter(0.5);
    Server server = new Server(limiter);
    // Capacity: 4 workers / 20 ms = 200 per second; offered 400 per second.
    server.run(10 * SECOND, 2_500_000L);

    List<Refusal> measured = server.settledFrom(SECOND);
    assertThat(measured.size()).isGreaterThan(1_000);
    double[] toReference = new double[measured.size()];
    double[] toTruth = new double[measured.size()];
    for (int i = 0; i < measured.size(); i++) {
      Refusal r = measured.get(i);
      long truth = Math.max(1, r.truthNanos);
      // The reference: a refused client should come back no sooner than the work in flight
      // turns over once (the median service time), and no later than needed (the truth).
      toReference[i] = (double) r.estimateNanos / Math.max(truth, MEDIAN_SERVICE);
      toTruth[i] = (double) r.estimateNanos / truth;
      assertThat(r.estimateNanos).as("never below the median the limiter measured")
          .isGreaterThanOrEqualTo(r.medianAtRefusal);
      assertThat(r.ticketHintNanos).as("jittered once, by at most 0.5")
          .isBetween(r.estimateNanos, r.estimateNanos + r.estimateNanos / 2);
    }
    assertThat(quantile(toReference, 0.5)).isBetween(0.5, 2.0);
    assertThat(quantile(toTruth, 0.1)).as("at p10, short of the truth by no more than the jitter")
        .isGreaterThanOrEqualTo(1 / 1.5);
  }

  @Test
  void inAStallTheTicketOfARefusalThatReadsNoClockTellsWhatTheEstimateTells() {
    Limiter limiter = limiter(0.0);
    Server server = new Server(limiter);
    server.run(2 * SECOND, 2_500_000L);
    long median = publishedMedian;
    server.hung = true;
    // A refusal every 2.5 ms, each followed by a reading of the estimate at the same moment: the
    // refusals that read no clock must not lag it (by the stall times the factor, since the last
    // reading: beyond the jitter once the stall dominates the hint).
    long compared = 0;
    for (long t = clock.nanoTime() + 2_500_000L; t <= 2 * SECOND + 500 * MS; t += 2_500_000L) {
      clock.setNanos(t);
      long ticket = limiter.tryAcquire();
      if (Ticket.isPermit(ticket)) {
        continue;
      }
      long estimate = limiter.retryAfterNanos();
      assertThat(Ticket.retryAfterNanos(ticket)).as("at %d us", t / 1_000).isEqualTo(estimate);
      if (estimate > median) {
        compared++;
      }
    }
    assertThat(compared).as("refusals whose hint the stall set").isGreaterThan(100);
  }

  @Test
  void afterAnOverloadTheHintIsBackToTheFloorAtOnceWhenIdle() {
    Limiter limiter = limiter(0.5);
    Server server = new Server(limiter);
    server.run(3 * SECOND, 2_500_000L);
    assertThat(server.refusals).isNotEmpty();
    // The overload ends and no request comes: what is in flight completes, no window closes.
    server.run(4 * SECOND, 0);
    int windows = windowsClosed;
    server.run(60 * SECOND, 0);
    assertThat(windowsClosed).isEqualTo(windows);
    assertThat(limiter.retryAfterNanos()).isEqualTo(Math.max(10 * MS, publishedMedian));
  }

  @Test
  void readingTheHintOfAnIdleLimiterNeitherGrowsItNorStartsAStallClock() {
    Limiter limiter = limiter(0.0);
    Server server = new Server(limiter);
    server.run(3 * SECOND, 2_500_000L);
    server.run(4 * SECOND, 0);
    long floor = Math.max(10 * MS, publishedMedian);
    // A gauge reads the hint every 10 s through an idle hour: nothing is stalled, nothing waits.
    for (long t = 4 * SECOND; t <= 3_600 * SECOND; t += 10 * SECOND) {
      clock.setNanos(t);
      assertThat(limiter.retryAfterNanos()).as("at %d s", t / SECOND).isEqualTo(floor);
    }
    // A burst then fills every permit before anything completes: its first refusals are told the
    // floor, not the length of the idle hour.
    clock.advanceNanos(5 * SECOND);
    for (int i = 0; i < WORKERS; i++) {
      limiter.tryAcquire();
    }
    assertThat(Ticket.retryAfterNanos(limiter.tryAcquire())).isEqualTo(floor);
    assertThat(limiter.retryAfterNanos()).isEqualTo(floor);
  }

  @Test
  void afterAnOverloadTheHintIsBackToTheFloorWithinTwoWindowsUnderLightLoad() {
    Limiter limiter = limiter(0.5);
    Server server = new Server(limiter);
    server.run(3 * SECOND, 2_500_000L);
    assertThat(server.refusals).isNotEmpty();
    int windows = windowsClosed;
    // Half the capacity: nothing is refused; the hint a refusal would get falls with time alone.
    while (windowsClosed < windows + 2) {
      server.run(clock.nanoTime() + MS, 10 * MS);
    }
    assertThat(limiter.retryAfterNanos()).isEqualTo(Math.max(10 * MS, publishedMedian));
    assertThat(publishedMedian).isBetween(18 * MS, 22 * MS);
  }

  @Test
  void whileAHungBackendReleasesNothingTheHintGrowsWithTheHang() {
    Limiter limiter = limiter(0.0);
    Server server = new Server(limiter);
    server.run(2 * SECOND, 2_500_000L);
    long median = publishedMedian;
    assertThat(median).isBetween(18 * MS, 22 * MS);
    // The backend hangs: what runs never completes, and nothing times out.
    server.hung = true;
    server.run(2 * SECOND + 30 * MS, 2_500_000L);
    assertThat(limiter.inFlight()).isEqualTo(WORKERS);
    // The stall clock starts at the first refusal that finds the last release made.
    long stallStart = server.refusals.stream().mapToLong(r -> r.atNanos)
        .filter(t -> t >= server.lastReleaseNanos).min().orElseThrow();
    int windows = windowsClosed;

    // A refusal every millisecond for a minute: 60,000 refusals, and no window closes.
    for (long t = clock.nanoTime(); t <= stallStart + 60 * SECOND; t += MS) {
      clock.setNanos(t);
      long hint = Ticket.retryAfterNanos(limiter.tryAcquire());
      long grown = Math.max(median, Math.min(60 * SECOND, 3 * (t - stallStart)));
      // The reject path reads the clock as often as about once a millisecond, and between two
      // readings adds the time between the last two to the stall it last read: its view of the
      // hang is early or late by at most the time between two readings, well within the bounds
      // (the second between two reads of the estimate).
      assertThat(hint).isBetween(Math.max(median, grown - 3 * SECOND),
          Math.min(60 * SECOND, grown + 3 * SECOND));
      if (t % SECOND == 0) {
        assertThat(limiter.retryAfterNanos()).isEqualTo(grown);
      }
    }
    assertThat(windowsClosed).isEqualTo(windows);
    assertThat(limiter.retryAfterNanos()).as("the maximum, 60 s").isEqualTo(60 * SECOND);

    // The backend recovers: one release is progress (it also closes the overdue window, with
    // the few samples of its first moments), and the hint is the median again.
    limiter.release(server.completions.poll()[1], Outcome.DROPPED);
    assertThat(limiter.retryAfterNanos()).isEqualTo(Math.max(10 * MS, publishedMedian));
  }

  @Test
  void theTicketsOfAShortStallsSparseRefusalsCarryAHintThatGrowsWithTheStall() {
    Limiter limiter = limiter(0.0);
    Server server = new Server(limiter);
    server.run(2 * SECOND, 2_500_000L);
    long median = publishedMedian;
    // Long requests hold every permit and nothing completes for 300 ms; a refusal arrives every
    // 5 ms (60 in all), and nothing else reads the limiter's clock.
    server.hung = true;
    server.run(2 * SECOND + 30 * MS, 5 * MS);
    long stallStart = server.refusals.stream().mapToLong(r -> r.atNanos)
        .filter(t -> t >= server.lastReleaseNanos).min().orElseThrow();
    int grown = 0;
    for (long t = clock.nanoTime() + 5 * MS; t <= stallStart + 300 * MS; t += 5 * MS) {
      clock.setNanos(t);
      long hint = Ticket.retryAfterNanos(limiter.tryAcquire());
      long truth = Math.max(median, 3 * (t - stallStart));
      // Refusals this sparse each read the clock: the hint is the stall's length so far.
      assertThat(hint).as("at %d ms of the stall", (t - stallStart) / MS).isEqualTo(truth);
      if (truth > median) {
        grown++;
      }
    }
    assertThat(grown).as("refusals whose hint the stall set").isGreaterThan(40);
  }

  @Test
  void jitterNeverTakesAHintBeyondTheMaximum() {
    Limiter limiter = Limiter.newBuilder()
        .clock(clock)
        .algorithm(FixedLimit.of(1))
        .retryAfter(Duration.ofMillis(10), Duration.ofSeconds(2))
        .retryAfterJitter(1.0)
        .build();
    limiter.tryAcquire();
    limiter.tryAcquire(); // the first refusal starts the stall clock
    clock.advance(Duration.ofHours(1));
    assertThat(limiter.retryAfterNanos()).as("2 s / (1 + jitter 1.0)").isEqualTo(SECOND);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long hint = Ticket.retryAfterNanos(limiter.tryAcquire());
      min = Math.min(min, hint);
      max = Math.max(max, hint);
    }
    assertThat(min).isGreaterThanOrEqualTo(SECOND);
    assertThat(max).isLessThanOrEqualTo(2 * SECOND);
    assertThat(max - min).as("spread over the jitter's range").isGreaterThan(SECOND / 2);
  }

  @Test
  void refusalsOfEveryReasonAreJittered() {
    Limiter limiter = limiter(0.5);
    long[] held = new long[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
      held[i] = limiter.tryAcquire(1, Priority.CRITICAL_PLUS);
    }
    assertSpread(limiter, Priority.CRITICAL_PLUS, RejectReason.LIMIT_REACHED);
    // The refusals of CRITICAL_PLUS put the shares of the levels below in force: with one unit
    // free, SHEDDABLE work is beyond its share.
    limiter.release(held[0], Outcome.IGNORED);
    assertSpread(limiter, Priority.SHEDDABLE, RejectReason.PRIORITY_SHED);
  }

  private static void assertSpread(Limiter limiter, Priority priority, RejectReason reason) {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 1_000; i++) {
      long ticket = limiter.tryAcquire(1, priority);
      assertThat(Ticket.reason(ticket)).isEqualTo(reason);
      min = Math.min(min, Ticket.retryAfterNanos(ticket));
      max = Math.max(max, Ticket.retryAfterNanos(ticket));
    }
    // The floor, 10 ms, times a factor in [1, 1.5).
    assertThat(min).as("%s", reason).isGreaterThanOrEqualTo(10 * MS);
    assertThat(max).as("%s", reason).isLessThan(15 * MS);
    assertThat(max - min).as("%s: spread, not lock-step", reason).isGreaterThan(4 * MS);
  }
}
