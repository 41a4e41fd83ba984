package io.sluice.fair;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * A single-threaded virtual-time world for fairness simulations: tenants send open-loop Poisson
 * streams of requests with random costs and amounts of work to a backend through an admission
 * path (a fair-share gate, or the bare limiter), and the world counts, per tenant, the work
 * offered and the work admitted.
 *
 * <p>The backend serves {@code capacity} units of cost at once at full speed, as processor
 * sharing: with {@code S} units in service, every request progresses at {@code min(1, capacity /
 * S)} of its speed, so an overloaded backend stretches latency, which an adaptive limit sees. A
 * request's <em>work</em> is cost times its nominal service time (unit-seconds); goodput is the
 * work completed per second, at most {@code capacity}. With an infinite capacity the backend never
 * slows down and a request holds its cost for exactly its service time.
 */
final class FairWorld {

  /** How requests are admitted and released. */
  interface Admission {
    /** Returns a permit or a rejection for a request of {@code tenant}. */
    long tryAcquire(int tenant, int cost);

    /** Releases a permit. */
    void release(long permit);
  }

  /** Draws a request's cost. */
  @FunctionalInterface
  interface Costs {
    /** Returns a cost of at least 1. */
    int next(SplittableRandom random);
  }

  /** One tenant's stream of requests. */
  static final class Stream {
    final int tenant;
    final double requestsPerSecond;
    final Costs costs;
    final double meanServiceSeconds;
    final double from;
    final double until;

    Stream(int tenant, double requestsPerSecond, Costs costs, double meanServiceSeconds,
        double from, double until) {
      this.tenant = tenant;
      this.requestsPerSecond = requestsPerSecond;
      this.costs = costs;
      this.meanServiceSeconds = meanServiceSeconds;
      this.from = from;
      this.until = until;
    }
  }

  /** What a run measured, between the end of the warm-up and the end. */
  static final class Result {
    final double seconds;
    final double[] offered;
    final double[] admitted;
    final long[] fairShareRefusals;
    final long[] limitRefusals;
    double completedWork;

    Result(int tenants, double seconds) {
      this.seconds = seconds;
      this.offered = new double[tenants];
      this.admitted = new double[tenants];
      this.fairShareRefusals = new long[tenants];
      this.limitRefusals = new long[tenants];
    }

    /** Work offered by {@code tenant} per second. */
    double demand(int tenant) {
      return offered[tenant] / seconds;
    }

    /** Work admitted for {@code tenant} per second. */
    double served(int tenant) {
      return admitted[tenant] / seconds;
    }

    /** The share of its demand {@code tenant} was served. */
    double satisfaction(int tenant) {
      return admitted[tenant] / offered[tenant];
    }

    /** Work completed per second. */
    double goodput() {
      return completedWork / seconds;
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder(String.format("goodput %.1f", goodput()));
      for (int i = 0; i < offered.length; i++) {
        s.append(String.format("%n  tenant %d: demand %.1f served %.1f (%.1f%%) fair %d limit %d",
            i, demand(i), served(i), 100 * satisfaction(i), fairShareRefusals[i],
            limitRefusals[i]));
      }
      return s.toString();
    }
  }

  private static final class Job {
    final int tenant;
    final int cost;
    final double work;
    final double finishTag;
    final long permit;

    Job(int tenant, int cost, double work, double finishTag, long permit) {
      this.tenant = tenant;
      this.cost = cost;
      this.work = work;
      this.finishTag = finishTag;
      this.permit = permit;
    }
  }

  private static final class Arrival {
    final int stream;
    final double at;
    /** 0 for a new request; else the attempt number of a retry, with its cost and work. */
    final int attempt;
    final int cost;
    final double work;

    Arrival(int stream, double at) {
      this(stream, at, 0, 0, 0);
    }

    Arrival(int stream, double at, int attempt, int cost, double work) {
      this.stream = stream;
      this.at = at;
      this.attempt = attempt;
      this.cost = cost;
      this.work = work;
    }
  }

  private record Checkpoint(double at, Runnable action) {}

  private final PriorityQueue<Checkpoint> checkpoints =
      new PriorityQueue<>((a, b) -> Double.compare(a.at, b.at));
  private final ManualClock clock;
  private final List<Stream> streams = new ArrayList<>();
  private final double capacity;
  private final long seed;
  private boolean exponentialService = true;
  private int retries;

  /** Makes a refused request come back after its Retry-After, up to {@code retries} times. */
  FairWorld retries(int retries) {
    this.retries = retries;
    return this;
  }

  /** Makes every request's service time its stream's mean (exponential by default). */
  FairWorld fixedServiceTimes() {
    exponentialService = false;
    return this;
  }

  FairWorld(ManualClock clock, double capacity, long seed) {
    this.clock = clock;
    this.capacity = capacity;
    this.seed = seed;
  }

  /** Runs {@code action} when the world's time reaches {@code at} seconds. */
  FairWorld at(double at, Runnable action) {
    checkpoints.add(new Checkpoint(at, action));
    return this;
  }

  FairWorld stream(Stream stream) {
    streams.add(stream);
    return this;
  }

  /** Requests of cost 1 whose offered work is {@code unitsPerSecond}. */
  FairWorld steady(int tenant, double units, double meanServiceSeconds) {
    return stream(new Stream(tenant, units / meanServiceSeconds, r -> 1, meanServiceSeconds, 0,
        Double.MAX_VALUE));
  }

  /** The admission path through a gate with integer tenant keys. */
  static Admission through(FairShare<Integer> gate) {
    return new Admission() {
      @Override
      public long tryAcquire(int tenant, int cost) {
        return gate.tryAcquire(tenant, cost);
      }

      @Override
      public void release(long permit) {
        if (!gate.release(permit, Outcome.SUCCESS)) {
          throw new AssertionError("a permit of the world was refused at release");
        }
      }
    };
  }

  /** The admission path through the bare limiter: no fairness. */
  static Admission through(Limiter limiter) {
    return new Admission() {
      @Override
      public long tryAcquire(int tenant, int cost) {
        return limiter.tryAcquire(cost);
      }

      @Override
      public void release(long permit) {
        if (!limiter.release(permit, Outcome.SUCCESS)) {
          throw new AssertionError("a permit of the world was refused at release");
        }
      }
    };
  }

  /**
   * Runs the world for {@code seconds} of virtual time and measures after {@code warmup}; the
   * admission path is made from the world's clock.
   */
  Result run(Function<ManualClock, Admission> admissionOf, double warmup, double seconds) {
    Admission admission = admissionOf.apply(clock);
    SplittableRandom random = new SplittableRandom(seed);
    int tenants = streams.stream().mapToInt(s -> s.tenant).max().orElse(-1) + 1;
    Result result = new Result(tenants, seconds - warmup);
    PriorityQueue<Arrival> arrivals = new PriorityQueue<>((a, b) -> Double.compare(a.at, b.at));
    PriorityQueue<Job> jobs =
        new PriorityQueue<>((a, b) -> Double.compare(a.finishTag, b.finishTag));
    for (int i = 0; i < streams.size(); i++) {
      Stream s = streams.get(i);
      arrivals.add(new Arrival(i, s.from + exponential(random, 1 / s.requestsPerSecond)));
    }
    long start = clock.nanoTime();
    double now = 0;
    double virtual = 0;
    double inService = 0;
    for (;;) {
      double rate = inService > capacity ? capacity / inService : 1.0;
      double nextArrival = arrivals.isEmpty() ? Double.MAX_VALUE : arrivals.peek().at;
      double nextCompletion = jobs.isEmpty()
          ? Double.MAX_VALUE : now + (jobs.peek().finishTag - virtual) / rate;
      double next = Math.min(nextArrival, nextCompletion);
      while (!checkpoints.isEmpty() && checkpoints.peek().at <= Math.min(next, seconds)) {
        Checkpoint due = checkpoints.poll();
        clock.setNanos(Math.max(clock.nanoTime(), start + (long) (due.at * 1e9)));
        due.action.run();
      }
      if (next > seconds) {
        break;
      }
      virtual += (next - now) * rate;
      now = next;
      clock.setNanos(Math.max(clock.nanoTime(), start + (long) (now * 1e9)));
      if (nextCompletion <= nextArrival) {
        Job job = jobs.poll();
        inService -= job.cost;
        admission.release(job.permit);
        if (now >= warmup) {
          result.completedWork += job.cost * job.work;
        }
        continue;
      }
      Arrival arrival = arrivals.poll();
      Stream s = streams.get(arrival.stream);
      int cost;
      double work;
      if (arrival.attempt == 0) {
        double following = now + exponential(random, 1 / s.requestsPerSecond);
        if (following < s.until) {
          arrivals.add(new Arrival(arrival.stream, following));
        }
        cost = s.costs.next(random);
        work = exponentialService
            ? exponential(random, s.meanServiceSeconds) : s.meanServiceSeconds;
        if (now >= warmup) {
          result.offered[s.tenant] += cost * work;
        }
      } else {
        cost = arrival.cost;
        work = arrival.work;
      }
      boolean measured = now >= warmup;
      long ticket = admission.tryAcquire(s.tenant, cost);
      if (Ticket.isRejection(ticket)) {
        if (measured) {
          if (Ticket.reason(ticket) == RejectReason.FAIR_SHARE) {
            result.fairShareRefusals[s.tenant]++;
          } else {
            result.limitRefusals[s.tenant]++;
          }
        }
        if (arrival.attempt < retries) {
          arrivals.add(new Arrival(arrival.stream, now + Ticket.retryAfterNanos(ticket) / 1e9,
              arrival.attempt + 1, cost, work));
        }
        continue;
      }
      if (measured) {
        result.admitted[s.tenant] += cost * work;
      }
      inService += cost;
      jobs.add(new Job(s.tenant, cost, work, virtual + work, ticket));
    }
    // Drain: complete everything in service so that the admission path ends empty.
    while (!jobs.isEmpty()) {
      admission.release(jobs.poll().permit);
    }
    return result;
  }

  static double exponential(SplittableRandom random, double mean) {
    return -mean * Math.log(1.0 - random.nextDouble());
  }

  /** Pareto costs with shape {@code alpha} from 1, capped at {@code max}. */
  static Costs pareto(double alpha, int max) {
    return r -> (int) Math.min(max, Math.floor(Math.pow(1.0 - r.nextDouble(), -1.0 / alpha)));
  }

  /** The mean of {@code costs}, estimated from a million draws. */
  static double mean(Costs costs) {
    SplittableRandom random = new SplittableRandom(1);
    long sum = 0;
    int n = 1_000_000;
    for (int i = 0; i < n; i++) {
      sum += costs.next(random);
    }
    return (double) sum / n;
  }

  @Override
  public String toString() {
    return "FairWorld[capacity=" + capacity + ", streams=" + streams.size() + "]";
  }
}
