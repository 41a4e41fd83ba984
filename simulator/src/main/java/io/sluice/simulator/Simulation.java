package io.sluice.simulator;

import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * A deterministic, virtual-time model of a server: open-loop arrivals, a limiter in front, and a
 * backend of {@code c} workers with a FIFO queue and a service-time distribution. It runs in a
 * single thread on an {@link EventLoop}, so a minute of overload takes a fraction of a second and
 * the same seed gives the same result. The one exception is the jitter of Retry-After hints, which
 * limiters draw from a thread-local generator (so that concurrent rejections spread); it does not
 * feed back into the run.
 *
 * <p>Arrivals form a Poisson process at the configured rate, whatever happens to earlier requests
 * (open loop: rejected or slow requests do not slow the arrivals, as with real clients). An
 * admitted request waits for a free worker, is served, and releases its permit when it completes:
 * {@code SUCCESS} if it completed within the client's timeout, {@code DROPPED} otherwise (the client
 * gave up; the work was wasted). Goodput counts completions within the latency objective.
 *
 * <p>Capacity, service time and offered load can change at given times ({@link Builder#workersAt},
 * {@link Builder#serviceTimeAt}, {@link Builder#rateAt}) to model a backend losing half its
 * capacity, a backend that hangs, or a traffic spike.
 *
 * <pre>{@code
 * SimulationResult r = Simulation.newBuilder()
 *     .workers(32).serviceTime(ServiceTime.logNormal(Duration.ofMillis(10), 0.5))
 *     .arrivalRate(6400).duration(Duration.ofSeconds(30))
 *     .limiter((clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener).build())
 *     .build().run();
 * }</pre>
 *
 * <p>Not thread-safe; a simulation may be run more than once, each run starting afresh.
 */
public final class Simulation {
  private final int workers;
  private final ServiceTime serviceTime;
  private final double arrivalRate;
  private final long durationNanos;
  private final long warmupNanos;
  private final long objectiveNanos;
  private final long timeoutNanos;
  private final long seed;
  private final LimiterFactory factory;
  private final TreeMap<Long, Integer> workerChanges;
  private final TreeMap<Long, Double> rateChanges;
  private final TreeMap<Long, ServiceTime> serviceChanges;

  private Simulation(Builder b) {
    this.workers = b.workers;
    this.serviceTime = b.serviceTime;
    this.arrivalRate = b.arrivalRate;
    this.durationNanos = b.durationNanos;
    this.warmupNanos = b.warmupNanos;
    this.objectiveNanos = b.objectiveNanos;
    this.timeoutNanos = b.timeoutNanos;
    this.seed = b.seed;
    this.factory = b.factory;
    this.workerChanges = new TreeMap<>(b.workerChanges);
    this.rateChanges = new TreeMap<>(b.rateChanges);
    this.serviceChanges = new TreeMap<>(b.serviceChanges);
  }

  /** Returns a builder; workers, service time, arrival rate and limiter must be set. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Runs the simulation from time zero and returns what it measured. */
  public SimulationResult run() {
    return new Run().execute();
  }

  /** One run's mutable state. */
  private final class Run {
    final EventLoop loop = new EventLoop();
    final SplittableRandom arrivalRandom = new SplittableRandom(seed);
    final SplittableRandom serviceRandom = new SplittableRandom(seed * 31 + 17);
    final ArrayDeque<Request> backendQueue = new ArrayDeque<>();
    final List<SimulationResult.LimitPoint> limits = new ArrayList<>();
    final Histogram latency = new Histogram(3);
    final Histogram retryAfter = new Histogram(3);
    final Runnable arrival = this::arrive;
    final Limiter limiter;
    int capacity = workers;
    int busy;
    double rate = arrivalRate;
    ServiceTime service = serviceTime;
    long arrivals;
    long admitted;
    long rejected;
    long completed;
    long good;
    long dropped;
    double capacityIntegral;
    long lastCapacityChange;

    Run() {
      LimitListener recorder = (window, newLimit) ->
          limits.add(new SimulationResult.LimitPoint(loop.nanos(), newLimit));
      this.limiter = Checks.notNull("limiter (from the factory)", factory.create(loop.clock(), recorder));
    }

    SimulationResult execute() {
      Runnable change = this::change;
      workerChanges.forEach((at, n) -> loop.at(at, change));
      rateChanges.forEach((at, r) -> loop.at(at, change));
      serviceChanges.forEach((at, st) -> loop.at(at, change));
      scheduleNextArrival(0);
      lastCapacityChange = warmupNanos;
      loop.runUntil(durationNanos);
      accumulateCapacity(durationNanos);
      long measured = durationNanos - warmupNanos;
      double capacityPerSecond = capacityIntegral / measured * 1e9 / serviceTime.meanNanos();
      return new SimulationResult(measured, capacityPerSecond, arrivals, admitted, rejected,
          completed, good, dropped, latency, retryAfter, limits);
    }

    void arrive() {
      long now = loop.nanos();
      boolean measuring = now >= warmupNanos;
      if (measuring) {
        arrivals++;
      }
      long ticket = limiter.tryAcquire();
      if (Ticket.isPermit(ticket)) {
        if (measuring) {
          admitted++;
        }
        Request r = new Request(this, now, ticket);
        if (busy < capacity) {
          startService(r, now);
        } else {
          backendQueue.add(r);
        }
      } else if (measuring) {
        rejected++;
        retryAfter.recordValue(Ticket.retryAfterNanos(ticket));
      }
      scheduleNextArrival(now);
    }

    void complete(Request r) {
      long now = loop.nanos();
      busy--;
      long rtt = now - r.arrivalNanos;
      limiter.release(r.ticket, rtt > timeoutNanos ? Outcome.DROPPED : Outcome.SUCCESS);
      if (now >= warmupNanos) {
        completed++;
        latency.recordValue(rtt);
        if (rtt > timeoutNanos) {
          dropped++;
        }
        if (rtt <= objectiveNanos) {
          good++;
        }
      }
      while (busy < capacity && !backendQueue.isEmpty()) {
        startService(backendQueue.poll(), now);
      }
    }

    void change() {
      long now = loop.nanos();
      Integer newWorkers = workerChanges.get(now);
      if (newWorkers != null && newWorkers != capacity) {
        accumulateCapacity(now);
        capacity = newWorkers;
        while (busy < capacity && !backendQueue.isEmpty()) {
          startService(backendQueue.poll(), now);
        }
      }
      Double newRate = rateChanges.get(now);
      if (newRate != null) {
        rate = newRate;
      }
      ServiceTime newService = serviceChanges.get(now);
      if (newService != null) {
        service = newService;
      }
    }

    void accumulateCapacity(long now) {
      if (now > lastCapacityChange) {
        capacityIntegral += (double) capacity * (now - lastCapacityChange);
        lastCapacityChange = now;
      }
    }

    void startService(Request r, long now) {
      busy++;
      loop.at(now + service.sampleNanos(serviceRandom), r);
    }

    void scheduleNextArrival(long now) {
      double gapNanos = -Math.log(1.0 - arrivalRandom.nextDouble()) / rate * 1e9;
      loop.at(now + Math.max(1L, (long) gapNanos), arrival);
    }
  }

  /** An admitted request; it runs when its service completes. */
  private static final class Request implements Runnable {
    final Run run;
    final long arrivalNanos;
    final long ticket;

    Request(Run run, long arrivalNanos, long ticket) {
      this.run = run;
      this.arrivalNanos = arrivalNanos;
      this.ticket = ticket;
    }

    @Override
    public void run() {
      run.complete(this);
    }
  }

  /** Configures a {@link Simulation}; each setter checks its argument. */
  public static final class Builder {
    private int workers;
    private ServiceTime serviceTime;
    private double arrivalRate;
    private long durationNanos = Duration.ofSeconds(30).toNanos();
    private long warmupNanos = Duration.ofSeconds(5).toNanos();
    private long objectiveNanos = Long.MAX_VALUE;
    private long timeoutNanos = Long.MAX_VALUE;
    private long seed = 42;
    private LimiterFactory factory;
    private final TreeMap<Long, Integer> workerChanges = new TreeMap<>();
    private final TreeMap<Long, Double> rateChanges = new TreeMap<>();
    private final TreeMap<Long, ServiceTime> serviceChanges = new TreeMap<>();

    private Builder() {}

    /** Sets the backend's worker count at time zero, in [1, 100000]. */
    public Builder workers(int workers) {
      this.workers = Checks.inRange("workers", workers, 1, 100_000);
      return this;
    }

    /** Changes the backend's worker count at virtual time {@code at}, in [1, 100000]. */
    public Builder workersAt(Duration at, int workers) {
      long nanos = Checks.nanosInRange("at", at, Duration.ZERO, Duration.ofDays(1));
      workerChanges.put(nanos, Checks.inRange("workers", workers, 1, 100_000));
      return this;
    }

    /** Sets the service-time distribution. */
    public Builder serviceTime(ServiceTime serviceTime) {
      this.serviceTime = Checks.notNull("serviceTime", serviceTime);
      return this;
    }

    /**
     * Changes the service-time distribution at virtual time {@code at} (a backend that slows down
     * or hangs); capacity figures keep using the initial distribution's mean.
     */
    public Builder serviceTimeAt(Duration at, ServiceTime serviceTime) {
      long nanos = Checks.nanosInRange("at", at, Duration.ZERO, Duration.ofDays(1));
      serviceChanges.put(nanos, Checks.notNull("serviceTime", serviceTime));
      return this;
    }

    /** Sets the arrival rate at time zero, in requests per second, in (0, 1e8]. */
    public Builder arrivalRate(double perSecond) {
      this.arrivalRate = Checks.inOpenClosed("arrivalRate", perSecond, 0.0, 1e8);
      return this;
    }

    /** Changes the arrival rate at virtual time {@code at}, in (0, 1e8] per second. */
    public Builder rateAt(Duration at, double perSecond) {
      long nanos = Checks.nanosInRange("at", at, Duration.ZERO, Duration.ofDays(1));
      rateChanges.put(nanos, Checks.inOpenClosed("arrivalRate", perSecond, 0.0, 1e8));
      return this;
    }

    /** Sets the length of the run, warm-up included, in (0, 1 day]; default 30 s. */
    public Builder duration(Duration duration) {
      this.durationNanos =
          Checks.nanosInRange("duration", duration, Duration.ofNanos(1), Duration.ofDays(1));
      return this;
    }

    /** Sets the start of the run that is not measured, in [0, duration); default 5 s. */
    public Builder warmup(Duration warmup) {
      this.warmupNanos = Checks.nanosInRange("warmup", warmup, Duration.ZERO, Duration.ofDays(1));
      return this;
    }

    /** Sets the latency objective: completions within it count as goodput; default: all count. */
    public Builder latencyObjective(Duration objective) {
      this.objectiveNanos =
          Checks.nanosInRange("latencyObjective", objective, Duration.ofNanos(1), Duration.ofDays(1));
      return this;
    }

    /** Sets the client timeout: later completions are released as DROPPED; default: none. */
    public Builder timeout(Duration timeout) {
      this.timeoutNanos =
          Checks.nanosInRange("timeout", timeout, Duration.ofNanos(1), Duration.ofDays(1));
      return this;
    }

    /** Sets the seed of arrivals and service times; default 42. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Sets the factory of the limiter under test. */
    public Builder limiter(LimiterFactory factory) {
      this.factory = Checks.notNull("limiter", factory);
      return this;
    }

    /** Builds the simulation; fails if a required setting is missing or warm-up exceeds duration. */
    public Simulation build() {
      Checks.inRange("workers", workers, 1, 100_000);
      Checks.notNull("serviceTime", serviceTime);
      Checks.inOpenClosed("arrivalRate", arrivalRate, 0.0, 1e8);
      Checks.notNull("limiter", factory);
      Checks.inRange("warmup (below duration)", warmupNanos, 0L, durationNanos - 1);
      return new Simulation(this);
    }
  }
}
