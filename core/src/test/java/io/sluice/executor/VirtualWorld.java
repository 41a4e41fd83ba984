package io.sluice.executor;

import io.sluice.AdmissionRejectedException;
import io.sluice.testing.ManualClock;
import java.util.ArrayDeque;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongToDoubleFunction;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;

/**
 * A deterministic virtual-time world for driving the real {@link AdmissionExecutor} in one thread:
 * an event queue on a {@link ManualClock}, and a {@link Pool} of worker "threads" with a FIFO
 * queue, like a fixed-size ThreadPoolExecutor. A task handed to the pool occupies a worker for the
 * service time of its {@link Request}, then runs (releasing its permit, which dispatches more).
 * Ties in time are broken by scheduling order, so a run is a pure function of its inputs.
 */
final class VirtualWorld {
  final ManualClock clock = new ManualClock();
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private long sequence;

  /** Schedules {@code action} at virtual time {@code nanos}. */
  void at(long nanos, Runnable action) {
    events.add(new Event(nanos, sequence++, action));
  }

  /** Runs events in time order until none is left at or before {@code endNanos}. */
  void runUntil(long endNanos) {
    while (!events.isEmpty() && events.peek().nanos <= endNanos) {
      Event e = events.poll();
      clock.setNanos(e.nanos);
      e.action.run();
    }
  }

  /**
   * Schedules open-loop Poisson arrivals of one kind of request until {@code endNanos}: each is
   * given to {@code executor} with {@code options} and served for a time drawn from
   * {@code service}; refusals at submission and sheds count as failures in {@code stats}.
   */
  void poisson(AdmissionExecutor executor, int kind, TaskOptions options,
      LongToDoubleFunction perSecondAt, long endNanos, SplittableRandom random,
      ToLongFunction<SplittableRandom> service, Stats stats) {
    Runnable[] arrive = new Runnable[1];
    arrive[0] = () -> {
      long now = clock.nanoTime();
      stats.arrivals[kind]++;
      Request r = new Request(kind, now, service.applyAsLong(random), clock, stats::record);
      try {
        executor.execute(r, options);
      } catch (AdmissionRejectedException refused) {
        // a failure: it arrived and will never succeed
      }
      double gapNanos = -Math.log(1.0 - random.nextDouble()) / perSecondAt.applyAsDouble(now) * 1e9;
      long next = now + Math.max(1L, (long) gapNanos);
      if (next < endNanos) {
        at(next, arrive[0]);
      }
    };
    at(clock.nanoTime(), arrive[0]);
  }

  /** Draws an exponentially distributed duration with the given mean. */
  static long exponential(SplittableRandom random, double meanNanos) {
    return Math.max(1L, (long) (-meanNanos * Math.log(1.0 - random.nextDouble())));
  }

  /**
   * Per-kind counts of a run: arrivals, successes (completed within {@code timeoutNanos} of
   * arrival), the latency of completed requests, and the successes completed inside a window.
   */
  static final class Stats {
    final long[] arrivals;
    final long[] succeeded;
    final Histogram[] latency;
    private final long timeoutNanos;
    private final long windowFrom;
    private final long windowTo;
    long succeededInWindow;

    Stats(int kinds, long timeoutNanos, long windowFrom, long windowTo) {
      this.arrivals = new long[kinds];
      this.succeeded = new long[kinds];
      this.latency = new Histogram[kinds];
      for (int i = 0; i < kinds; i++) {
        latency[i] = new Histogram(3);
      }
      this.timeoutNanos = timeoutNanos;
      this.windowFrom = windowFrom;
      this.windowTo = windowTo;
    }

    void record(Request r) {
      latency[r.kind].recordValue(r.latencyNanos());
      if (r.latencyNanos() <= timeoutNanos) {
        succeeded[r.kind]++;
        if (r.completedNanos >= windowFrom && r.completedNanos < windowTo) {
          succeededInWindow++;
        }
      }
    }

    double successRate(int kind) {
      return (double) succeeded[kind] / arrivals[kind];
    }

    /** Returns the latency of completed requests of {@code kind} at quantile {@code q}, in ms. */
    double latencyMillis(int kind, double q) {
      return latency[kind].getValueAtPercentile(100 * q) / 1e6;
    }
  }

  /** The user task of a simulated request: completes after its service time, then reports. */
  static final class Request implements Runnable {
    final int kind;
    final long arrivalNanos;
    final long serviceNanos;
    private final ManualClock clock;
    private final Consumer<Request> onComplete;
    long completedNanos = -1;

    Request(int kind, long arrivalNanos, long serviceNanos, ManualClock clock,
        Consumer<Request> onComplete) {
      this.kind = kind;
      this.arrivalNanos = arrivalNanos;
      this.serviceNanos = serviceNanos;
      this.clock = clock;
      this.onComplete = onComplete;
    }

    long latencyNanos() {
      return completedNanos - arrivalNanos;
    }

    @Override
    public void run() {
      completedNanos = clock.nanoTime();
      onComplete.accept(this);
    }
  }

  /** A pool of {@code workers} with a FIFO queue, serving each request for its service time. */
  final class Pool implements Executor {
    private final int workers;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int busy;

    Pool(int workers) {
      this.workers = workers;
    }

    @Override
    public void execute(Runnable task) {
      if (busy < workers) {
        start(task);
      } else {
        waiting.addLast(task);
      }
    }

    private void start(Runnable task) {
      busy++;
      Request request = (Request) ((AdmissionTask<?>) task).task;
      at(clock.nanoTime() + request.serviceNanos, () -> {
        // As in a ThreadPoolExecutor, the worker is busy until run() returns (including the
        // dispatch of the next tasks), then takes the oldest waiting task.
        task.run();
        busy--;
        while (busy < workers && !waiting.isEmpty()) {
          start(waiting.pollFirst());
        }
      });
    }
  }

  private record Event(long nanos, long sequence, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int byTime = Long.compare(nanos, o.nanos);
      return byTime != 0 ? byTime : Long.compare(sequence, o.sequence);
    }
  }
}
