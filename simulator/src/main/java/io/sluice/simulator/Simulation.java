package io.sluice.simulator;

import io.sluice.LimitListener;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.metrics.LimiterSnapshot;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.WeakHashMap;
import org.HdrHistogram.Histogram;

/**
 * A deterministic, virtual-time model of a server: open-loop arrivals, a limiter in front, and a
 * backend of {@code c} workers with a FIFO queue and a service-time distribution. It runs in a
 * single thread on an {@link EventLoop}, so a minute of overload takes a fraction of a second and
 * the same seed gives the same result, every figure but the recorded Retry-After hints included.
 * Those are recorded as a client receives them, from the refusal's ticket, and a limiter draws
 * their jitter (build it with {@code retryAfterJitter(0)} to record the value before jitter) and,
 * when refusals come faster than one a millisecond or so, the choice of the refusals that read
 * the clock, from a thread-local generator so that concurrent rejections spread: they may differ
 * a little from run to run. Clients that honour Retry-After are given the limiter's
 * {@link Limiter#retryAfterNanos()} (the estimate before jitter, read from the clock), so that
 * the run itself stays reproducible.
 *
 * <p>Arrivals form a Poisson process at the configured rate, whatever happens to earlier requests
 * (open loop: rejected or slow requests do not slow the arrivals, as with real clients). An
 * admitted request waits for a free worker, is served, and releases its permit when it completes:
 * {@code SUCCESS} if it completed within the client's timeout, {@code DROPPED} otherwise (the client
 * gave up; the work was wasted). Goodput counts completions within the latency objective.
 *
 * <p>Capacity, service time and offered load can change at given times ({@link Builder#workersAt},
 * {@link Builder#serviceTimeAt}, {@link Builder#rateAt}, {@link Builder#stallAt}) to model a
 * backend losing half its capacity, a backend that hangs or pauses, or a traffic spike. Clients
 * may retry refused and timed-out requests ({@link Builder#retries}), honouring Retry-After or not.
 *
 * <p>For every refusal the simulation also measures the truth the Retry-After hint estimates: the
 * time until a request arriving then would have been admitted (the first moment the limiter's
 * in-flight work falls below its limit), and compares the hint with it, and with the reference a
 * hint is judged against: the largest of that truth, the median round-trip time of the work
 * admitted in the last whole second before the refusal (a refused client should come back no
 * sooner than the server turns its work in flight over once), and the limiter's configured
 * minimum hint ({@link Builder#retryAfterFloor}).
 *
 * <pre>{@code
 * SimulationResult r = Simulation.newBuilder()
 *     .workers(32).serviceTime(ServiceTime.logNormal(Duration.ofMillis(10), 0.5))
 *     .arrivalRate(6400).duration(Duration.ofSeconds(30))
 *     .limiter((clock, listener) -> Limiter.newBuilder().clock(clock).listener(listener).build())
 *     .build().run();
 * }</pre>
 *
 * <p>Not thread-safe; a simulation may be run more than once, each run starting afresh. Distinct
 * simulations may run in parallel on distinct threads.
 */
public final class Simulation {
  /** The width of the time buckets of goodput and arrivals: 100 ms. */
  public static final long BUCKET_NANOS = 100_000_000L;
  /** The jitter a client that honours Retry-After adds: the hint times a factor in [1, 1.5). */
  static final double CLIENT_RETRY_JITTER = 0.5;
  /** The blocks of time over which the Retry-After reference takes its median: 1 s. */
  static final long REFERENCE_BLOCK_NANOS = 1_000_000_000L;

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
  private final TreeMap<Long, Long> stalls;
  private final int maxRetries;
  private final long retryBackoffNanos;
  private final boolean honourRetryAfter;
  private final long retryAfterFloorNanos;
  /** The limiters of earlier runs, held weakly: a factory that returns one again is refused. */
  private final Map<Limiter, Boolean> usedLimiters = new WeakHashMap<>();

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
    this.stalls = new TreeMap<>(b.stalls);
    this.maxRetries = b.maxRetries;
    this.retryBackoffNanos = b.retryBackoffNanos;
    this.honourRetryAfter = b.honourRetryAfter;
    this.retryAfterFloorNanos = b.retryAfterFloorNanos;
  }

  /** Returns a builder; workers, service time, arrival rate and limiter must be set. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Runs the simulation from time zero and returns what it measured. */
  public SimulationResult run() {
    return new Run().execute();
  }

  /*
   * One run's mutable state.
   *
   * Arrivals: one pending Poisson arrival at a time, at nextArrivalNanos. A change of rate draws a
   * new gap at the new rate (exact for a memoryless process) and leaves the old event stale: an
   * arrival event whose time is not nextArrivalNanos is ignored.
   *
   * Stalls: while stalled no service starts, and the work in service is frozen: a request's
   * completion is pushed back by every stall that began while it was in service. A request
   * remembers the stall time accrued when it started (and what it has been pushed back since);
   * when its completion event fires, any stall time accrued since then moves it later again.
   *
   * Retry-After truth: refusals since the limiter last had room wait in a list; after every
   * release (the only moment the in-flight work falls or the limit changes) the list is settled
   * if in-flight is below the limit: a request arriving then would have been admitted. The median
   * round-trip time of the reference is that of the successes of the last whole second (blocks
   * of one second, the longest window of the limiter); a block without any keeps the last one.
   */
  private final class Run {
    final EventLoop loop = new EventLoop();
    final SplittableRandom arrivalRandom = new SplittableRandom(seed);
    final SplittableRandom serviceRandom = new SplittableRandom(seed * 31 + 17);
    final SplittableRandom clientRandom = new SplittableRandom(seed * 131 + 7);
    final ArrayDeque<Request> backendQueue = new ArrayDeque<>();
    final List<SimulationResult.LimitPoint> limits = new ArrayList<>();
    final Measurements m = new Measurements(durationNanos, warmupNanos);
    final Runnable arrival = this::arrive;
    final Limiter limiter;
    int capacity = workers;
    int busy;
    double rate = arrivalRate;
    long nextArrivalNanos = -1;
    ServiceTime service = serviceTime;
    long stalledUntil = -1;
    long stallAccrued;
    double capacityIntegral;
    long lastCapacityChange;
    long[] refusalTimes = new long[64];
    long[] refusalHints = new long[64];
    long[] refusalMedians = new long[64];
    int refusals;
    final Histogram blockRtt = new Histogram(3);
    long blockStart;
    long medianRtt;

    Run() {
      LimitListener recorder = (window, newLimit) ->
          limits.add(new SimulationResult.LimitPoint(loop.nanos(), newLimit));
      this.limiter = fresh(
          Checks.notNull("limiter (from the factory)", factory.create(loop.clock(), recorder)));
    }

    /** Refuses a limiter whose state would carry over from earlier work into this run. */
    private Limiter fresh(Limiter candidate) {
      LimiterSnapshot s = candidate.snapshot();
      if (usedLimiters.put(candidate, Boolean.TRUE) != null
          || s.admitted() + s.rejected() > 0 || s.inFlight() > 0) {
        throw new IllegalStateException("the limiter factory returned a limiter that has already"
            + " served (" + candidate + "): build a new limiter, with a new algorithm, per call");
      }
      return candidate;
    }

    SimulationResult execute() {
      Runnable change = this::change;
      workerChanges.forEach((at, n) -> loop.at(at, change));
      rateChanges.forEach((at, r) -> loop.at(at, change));
      serviceChanges.forEach((at, st) -> loop.at(at, change));
      stalls.forEach((at, length) -> loop.at(at, () -> stall(length)));
      scheduleNextArrival(0);
      lastCapacityChange = warmupNanos;
      loop.runUntil(durationNanos);
      accumulateCapacity(durationNanos);
      long measured = durationNanos - warmupNanos;
      m.capacityPerSecond = capacityIntegral / measured * 1e9 / serviceTime.meanNanos();
      m.unsettledRefusals = refusals;
      return new SimulationResult(m, limits);
    }

    void arrive() {
      long now = loop.nanos();
      if (now != nextArrivalNanos) {
        return;
      }
      attempt(now, 0);
      scheduleNextArrival(now);
    }

    void attempt(long now, int retry) {
      boolean measuring = now >= warmupNanos;
      m.arrival(now, retry > 0);
      long ticket = limiter.tryAcquire();
      if (Ticket.isPermit(ticket)) {
        if (measuring) {
          m.admitted++;
        }
        Request r = new Request(this, now, ticket, retry);
        if (busy < capacity && now >= stalledUntil) {
          startService(r, now);
        } else {
          backendQueue.add(r);
        }
        if (maxRetries > 0 && timeoutNanos != Long.MAX_VALUE && retry < maxRetries) {
          loop.at(now + timeoutNanos, () -> {
            if (!r.completed) {
              retryLater(loop.nanos(), retry + 1, retryBackoffNanos);
            }
          });
        }
        return;
      }
      long hint = Ticket.retryAfterNanos(ticket);
      m.rejection(now, hint);
      if (measuring) {
        noteRefusal(now, hint);
      }
      if (retry < maxRetries) {
        long delay = honourRetryAfter
            ? (long) (limiter.retryAfterNanos()
                * (1.0 + CLIENT_RETRY_JITTER * clientRandom.nextDouble()))
            : retryBackoffNanos;
        retryLater(now, retry + 1, delay);
      }
    }

    void retryLater(long now, int retry, long delayNanos) {
      long at = now + Math.max(1L, delayNanos);
      if (at <= durationNanos) {
        loop.at(at, () -> attempt(loop.nanos(), retry));
      }
    }

    void complete(Request r) {
      long now = loop.nanos();
      long pushedBack = stallAccrued - r.stallAtStart - r.stallApplied;
      if (pushedBack > 0) {
        r.stallApplied += pushedBack;
        loop.at(now + pushedBack, r);
        return;
      }
      r.completed = true;
      busy--;
      long rtt = now - r.arrivalNanos;
      limiter.release(r.ticket, rtt > timeoutNanos ? Outcome.DROPPED : Outcome.SUCCESS);
      noteRtt(now, rtt, rtt <= timeoutNanos);
      if (refusals > 0 && limiter.inFlight() < limiter.limit()) {
        settleRefusals(now);
      }
      m.completion(now, rtt, rtt <= objectiveNanos, rtt > timeoutNanos);
      startQueued(now);
    }

    void noteRefusal(long now, long hint) {
      if (refusals == refusalTimes.length) {
        refusalTimes = Arrays.copyOf(refusalTimes, refusals << 1);
        refusalHints = Arrays.copyOf(refusalHints, refusals << 1);
        refusalMedians = Arrays.copyOf(refusalMedians, refusals << 1);
      }
      refusalTimes[refusals] = now;
      refusalHints[refusals] = hint;
      refusalMedians[refusals] = Math.max(medianRtt, retryAfterFloorNanos);
      refusals++;
    }

    void settleRefusals(long now) {
      for (int i = 0; i < refusals; i++) {
        m.retryAfterTruth(now - refusalTimes[i], refusalHints[i], refusalMedians[i]);
      }
      refusals = 0;
    }

    /** Adds a completion's round-trip time to the median of the reference (successes only). */
    void noteRtt(long now, long rtt, boolean success) {
      if (now - blockStart >= REFERENCE_BLOCK_NANOS) {
        if (blockRtt.getTotalCount() > 0) {
          medianRtt = blockRtt.getValueAtPercentile(50.0);
          blockRtt.reset();
        }
        blockStart = now - (now - blockStart) % REFERENCE_BLOCK_NANOS;
      }
      if (success) {
        blockRtt.recordValue(rtt);
      }
    }

    void startQueued(long now) {
      if (now < stalledUntil) {
        return;
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
        startQueued(now);
      }
      Double newRate = rateChanges.get(now);
      if (newRate != null && newRate != rate) {
        rate = newRate;
        scheduleNextArrival(now);
      }
      ServiceTime newService = serviceChanges.get(now);
      if (newService != null) {
        service = newService;
      }
    }

    void stall(long lengthNanos) {
      long now = loop.nanos();
      long end = now + lengthNanos;
      if (end <= stalledUntil) {
        return;
      }
      accumulateCapacity(now);
      // Overlapping stalls freeze work only for the part that extends the current one.
      stallAccrued += end - Math.max(now, stalledUntil);
      stalledUntil = end;
      loop.at(end, () -> {
        accumulateCapacity(loop.nanos());
        startQueued(loop.nanos());
      });
    }

    void accumulateCapacity(long now) {
      if (now > lastCapacityChange) {
        int serving = lastCapacityChange < stalledUntil ? 0 : capacity;
        capacityIntegral += (double) serving * (now - lastCapacityChange);
        lastCapacityChange = now;
      }
    }

    void startService(Request r, long now) {
      busy++;
      r.stallAtStart = stallAccrued;
      loop.at(now + service.sampleNanos(serviceRandom), r);
    }

    void scheduleNextArrival(long now) {
      if (rate <= 0) {
        nextArrivalNanos = -1;
        return;
      }
      double gapNanos = -Math.log(1.0 - arrivalRandom.nextDouble()) / rate * 1e9;
      long next = now + Math.max(1L, (long) Math.min(gapNanos, 1e17));
      nextArrivalNanos = next;
      if (next <= durationNanos) {
        loop.at(next, arrival);
      }
    }
  }

  /** An admitted request; it runs when its service completes. */
  private static final class Request implements Runnable {
    final Run run;
    final long arrivalNanos;
    final long ticket;
    final int retry;
    long stallAtStart;
    long stallApplied;
    boolean completed;

    Request(Run run, long arrivalNanos, long ticket, int retry) {
      this.run = run;
      this.arrivalNanos = arrivalNanos;
      this.ticket = ticket;
      this.retry = retry;
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
    private final TreeMap<Long, Long> stalls = new TreeMap<>();
    private int maxRetries;
    private long retryBackoffNanos;
    private boolean honourRetryAfter;
    private long retryAfterFloorNanos;

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

    /**
     * Stalls the whole backend at virtual time {@code at} for {@code length} (a GC pause, a
     * downstream hang): no service starts, and work in service is frozen and resumes after it.
     * Arrivals go on; the limiter keeps deciding.
     */
    public Builder stallAt(Duration at, Duration length) {
      long nanos = Checks.nanosInRange("at", at, Duration.ZERO, Duration.ofDays(1));
      stalls.put(nanos,
          Checks.nanosInRange("length", length, Duration.ofNanos(1), Duration.ofDays(1)));
      return this;
    }

    /** Sets the arrival rate at time zero, in requests per second, in (0, 1e8]. */
    public Builder arrivalRate(double perSecond) {
      this.arrivalRate = Checks.inOpenClosed("arrivalRate", perSecond, 0.0, 1e8);
      return this;
    }

    /**
     * Changes the arrival rate at virtual time {@code at}, in [0, 1e8] per second (0: no arrivals
     * until the next change).
     */
    public Builder rateAt(Duration at, double perSecond) {
      long nanos = Checks.nanosInRange("at", at, Duration.ZERO, Duration.ofDays(1));
      rateChanges.put(nanos, Checks.inRange("arrivalRate", perSecond, 0.0, 1e8));
      return this;
    }

    /**
     * Makes clients retry: a refused request comes back after the Retry-After hint (when
     * {@code honourRetryAfter}; the limiter's estimate before jitter, read then, times a uniform
     * factor in [1, 1.5) drawn from the seeded generator: reproducible, where the ticket's value
     * is not quite) or after {@code backoff} (when not); a request
     * that outlives the client's timeout is abandoned by its client, which tries again
     * {@code backoff} later while the server finishes the abandoned work. Each arrival is tried
     * at most {@code 1 + maxRetries} times. Default: no retries.
     *
     * @param maxRetries in [0, 10]
     * @param backoff in [0, 1 h]
     */
    public Builder retries(int maxRetries, Duration backoff, boolean honourRetryAfter) {
      this.maxRetries = Checks.inRange("maxRetries", maxRetries, 0, 10);
      this.retryBackoffNanos =
          Checks.nanosInRange("backoff", backoff, Duration.ZERO, Duration.ofHours(1));
      this.honourRetryAfter = honourRetryAfter;
      return this;
    }

    /**
     * Sets the smallest Retry-After the limiter under test may advertise (its configured
     * minimum, 10 ms by default): the reference a hint is judged against never falls below it,
     * since a floor the user chose is not the estimate's error. Default 0.
     *
     * @param floor in [0, 1 day]
     */
    public Builder retryAfterFloor(Duration floor) {
      this.retryAfterFloorNanos =
          Checks.nanosInRange("retryAfterFloor", floor, Duration.ZERO, Duration.ofDays(1));
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
      this.objectiveNanos = Checks.nanosInRange("latencyObjective", objective, Duration.ofNanos(1),
          Duration.ofDays(1));
      return this;
    }

    /** Sets the client timeout: later completions are released as DROPPED; default: none. */
    public Builder timeout(Duration timeout) {
      this.timeoutNanos =
          Checks.nanosInRange("timeout", timeout, Duration.ofNanos(1), Duration.ofDays(1));
      return this;
    }

    /** Sets the seed of arrivals, service times and clients' retry jitter; default 42. */
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
