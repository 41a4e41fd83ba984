package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.VegasLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.testing.ManualClock;
import java.util.ArrayDeque;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A spike of sheddable work in virtual time: a backend of {@value #WORKERS} workers with a FIFO
 * queue (exponential service times, mean 10 ms, so 2000 requests per second) serves steady
 * CRITICAL traffic at 30% of its capacity and SHEDDABLE traffic that jumps from 30% to 500% of it
 * for six seconds. Every request asks the limiter with its priority and, admitted, queues for a
 * worker; its permit is released when it completes. Critical work must keep flowing through the
 * spike; sheddable work takes what the shares leave it.
 */
@Tag("simulation")
class LimiterPrioritySpikeSimulationTest {
  static final int WORKERS = 20;
  private static final long MS = 1_000_000L;
  private static final double MEAN_SERVICE_NANOS = 10 * MS;
  private static final long SPIKE_START = 3_000 * MS;
  private static final long SPIKE_END = 9_000 * MS;
  private static final long END = 12_000 * MS;

  /** What one run counted: arrivals and admissions by level, in and out of the spike. */
  static final class Counts {
    final long[] arrived = new long[Priority.LEVELS];
    final long[] admitted = new long[Priority.LEVELS];
    final long[] spikeArrived = new long[Priority.LEVELS];
    final long[] spikeAdmitted = new long[Priority.LEVELS];
    long spikeBusyNanos;
    int maxInFlight;

    double admittedShare(Priority p) {
      return (double) admitted[p.ordinal()] / arrived[p.ordinal()];
    }

    double spikeAdmittedShare(Priority p) {
      return (double) spikeAdmitted[p.ordinal()] / spikeArrived[p.ordinal()];
    }

    /** Mean fraction of the workers busy during the spike. */
    double spikeUtilisation() {
      return spikeBusyNanos / ((double) WORKERS * (SPIKE_END - SPIKE_START));
    }

    @Override
    public String toString() {
      return String.format("critical admitted %.4f (spike %.4f), sheddable admitted %.4f (spike"
          + " %.4f), workers busy in the spike %.3f, max in flight %d",
          admittedShare(Priority.CRITICAL), spikeAdmittedShare(Priority.CRITICAL),
          admittedShare(Priority.SHEDDABLE), spikeAdmittedShare(Priority.SHEDDABLE),
          spikeUtilisation(), maxInFlight);
    }
  }

  /** Runs the scenario against the limiter {@code build} makes on the simulation's clock. */
  static Counts run(long seed, Function<ManualClock, Limiter> build) {
    ManualClock clock = new ManualClock();
    Limiter limiter = build.apply(clock);
    SplittableRandom random = new SplittableRandom(seed);
    Counts counts = new Counts();
    double capacity = WORKERS / MEAN_SERVICE_NANOS;
    double criticalRate = 0.3 * capacity;
    // In service: {completion time, permit}, earliest first; waiting: permits, oldest first.
    PriorityQueue<long[]> serving = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    ArrayDeque<Long> waiting = new ArrayDeque<>();
    long nextCritical = exponential(random, criticalRate);
    long nextSheddable = exponential(random, 0.3 * capacity);
    long now = 0;
    while (now < END) {
      long nextDone = serving.isEmpty() ? Long.MAX_VALUE : serving.peek()[0];
      long next = Math.min(nextDone, Math.min(nextCritical, nextSheddable));
      long busyInSpike = Math.min(next, SPIKE_END) - Math.max(now, SPIKE_START);
      counts.spikeBusyNanos += serving.size() * Math.max(0, busyInSpike);
      now = next;
      clock.setNanos(now);
      if (next == nextDone) {
        assertThat(limiter.release(serving.poll()[1], Outcome.SUCCESS)).isTrue();
        if (!waiting.isEmpty()) {
          serving.add(new long[] {now + service(random), waiting.poll()});
        }
        continue;
      }
      boolean inSpike = now >= SPIKE_START && now < SPIKE_END;
      Priority priority;
      if (next == nextCritical) {
        priority = Priority.CRITICAL;
        nextCritical = now + exponential(random, criticalRate);
      } else {
        priority = Priority.SHEDDABLE;
        nextSheddable = now + exponential(random, (inSpike ? 5.0 : 0.3) * capacity);
      }
      int level = priority.ordinal();
      counts.arrived[level]++;
      if (inSpike) {
        counts.spikeArrived[level]++;
      }
      long ticket = limiter.tryAcquire(1, priority);
      if (Ticket.isPermit(ticket)) {
        counts.admitted[level]++;
        if (inSpike) {
          counts.spikeAdmitted[level]++;
        }
        if (serving.size() < WORKERS) {
          serving.add(new long[] {now + service(random), ticket});
        } else {
          waiting.add(ticket);
        }
        counts.maxInFlight = Math.max(counts.maxInFlight, limiter.inFlight());
      }
    }
    while (!serving.isEmpty()) {
      assertThat(limiter.release(serving.poll()[1], Outcome.SUCCESS)).isTrue();
    }
    for (long ticket : waiting) {
      assertThat(limiter.release(ticket, Outcome.SUCCESS)).isTrue();
    }
    assertThat(limiter.inFlight()).isZero();
    return counts;
  }

  private static long service(SplittableRandom random) {
    return exponential(random, 1 / MEAN_SERVICE_NANOS);
  }

  private static long exponential(SplittableRandom random, double ratePerNano) {
    return 1 + (long) (-Math.log(1 - random.nextDouble()) / ratePerNano);
  }

  private static Limiter fixed(ManualClock clock) {
    return Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(WORKERS)).build();
  }

  @Test
  void criticalWorkKeepsFlowingThroughASheddableSpike() {
    for (long seed = 1; seed <= 3; seed++) {
      Counts counts = run(seed, LimiterPrioritySpikeSimulationTest::fixed);
      System.out.println("fixed limit " + WORKERS + ", seed " + seed + ": " + counts);

      assertThat(counts.admittedShare(Priority.CRITICAL)).as("seed %d", seed)
          .isGreaterThanOrEqualTo(0.99);
      assertThat(counts.spikeAdmittedShare(Priority.CRITICAL)).as("seed %d", seed)
          .isGreaterThanOrEqualTo(0.99);
      // Sheddable work is shed in the spike but fills its share (0.7 of the limit by default).
      assertThat(counts.spikeAdmittedShare(Priority.SHEDDABLE)).as("seed %d", seed)
          .isBetween(0.05, 0.2);
      assertThat(counts.spikeUtilisation()).as("seed %d", seed).isGreaterThan(0.65);
      assertThat(counts.maxInFlight).isLessThanOrEqualTo(WORKERS);
    }
  }

  @Test
  void criticalWorkKeepsFlowingUnderAnAdaptiveLimitToo() {
    Counts counts = run(4, clock -> Limiter.newBuilder().clock(clock)
        .algorithm(VegasLimit.newBuilder().initialLimit(WORKERS)).build());
    System.out.println("Vegas: " + counts);

    assertThat(counts.admittedShare(Priority.CRITICAL)).isGreaterThanOrEqualTo(0.99);
    assertThat(counts.spikeAdmittedShare(Priority.CRITICAL)).isGreaterThanOrEqualTo(0.99);
    assertThat(counts.spikeAdmittedShare(Priority.SHEDDABLE)).isLessThan(0.3);
  }

  /** The same spike through a decorator that drops the priority: the defaults ignore it. */
  @Test
  void withoutPrioritiesCriticalWorkIsRefusedLikeSheddableWork() {
    Counts counts = run(1, clock -> new PriorityBlind(fixed(clock)));
    System.out.println("priority-blind: " + counts);

    assertThat(counts.spikeAdmittedShare(Priority.CRITICAL)).isLessThan(0.5);
  }

  /** Forwards every abstract method and none of the defaults. */
  private static final class PriorityBlind implements Limiter {
    private final Limiter delegate;

    PriorityBlind(Limiter delegate) {
      this.delegate = delegate;
    }

    @Override
    public long tryAcquire() {
      return delegate.tryAcquire();
    }

    @Override
    public long tryAcquire(int cost) {
      return delegate.tryAcquire(cost);
    }

    @Override
    public boolean release(long permit, Outcome outcome) {
      return delegate.release(permit, outcome);
    }

    @Override
    public int limit() {
      return delegate.limit();
    }

    @Override
    public int inFlight() {
      return delegate.inFlight();
    }

    @Override
    public long retryAfterNanos() {
      return delegate.retryAfterNanos();
    }

    @Override
    public LimiterSnapshot snapshot() {
      return delegate.snapshot();
    }
  }
}
