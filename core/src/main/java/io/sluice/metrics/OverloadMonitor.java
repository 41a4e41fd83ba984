package io.sluice.metrics;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.detector.OverloadLevel;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.internal.Args;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;

/*
 * A two-rule health check over consecutive intervals, evaluated on demand.
 *
 * Each evaluate() that finds the current interval at least `interval` old ends it: it reads the
 * source's cumulative counts and its limiter's limit and bounds from their public snapshots, takes
 * the differences since the interval began, and updates two streaks. The rejection streak starts at
 * the beginning of the first interval whose ratio exceeded the threshold (with at least minRequests
 * requests) and ends at the first interval that did not; the minimum streak starts at the first
 * evaluation that saw the limit at its minimum and ends at the first that did not. A streak at
 * least as long as its sustained period makes the state OVERLOADED; a rule that fired in the latest
 * interval alone makes it DEGRADED. If evaluations are late, the longer interval is judged as one.
 *
 * Single writer: the thread that wins the `evaluating` flag by compare-and-set owns the plain
 * fields below until it clears the flag with a release store; the next winner's CAS acquires it,
 * so each evaluation sees the previous one's writes. A thread that loses the race does not wait: it
 * returns the last published status (a volatile reference to an immutable record).
 */
/**
 * Judges whether a limiter or an {@link AdmissionExecutor} is overloaded, for a readiness or alert
 * signal and for autoscaling: {@link OverloadState#OK}, {@link OverloadState#DEGRADED} or
 * {@link OverloadState#OVERLOADED}.
 *
 * <pre>{@code
 * OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).build();   // the defaults below
 * if (monitor.evaluate().state() == OverloadState.OVERLOADED) {
 *   alert();
 * }
 * }</pre>
 *
 * <h2>Rules</h2>
 * The monitor measures consecutive intervals ({@link Builder#interval}, default 10 s), each ended
 * by the first {@link #evaluate()} after it is due, so call it at least that often (a health
 * endpoint or a metrics scrape does).
 * <ol>
 *   <li><b>Rejections</b> ({@link Builder#rejectionRatio}): an interval is <em>rejecting</em> when
 *       more than 5% of its requests were refused (rejected, and for an executor also shed), with
 *       at least {@link Builder#minRequests} (20) requests. Rejecting for 5 minutes without a break
 *       makes the state OVERLOADED.
 *   <li><b>Limit at minimum</b> ({@link Builder#limitAtMinimum}): the limit is sampled at each
 *       evaluation; seen at the algorithm's minimum for 1 minute without a break, the state is
 *       OVERLOADED. (A fixed limit, whose minimum equals its maximum, never counts.)
 * </ol> Otherwise the state is DEGRADED if either rule fired in the latest interval, or if one of
 * the limiter's overload detectors ({@code Limiter.Builder#detector}) read ELEVATED or SEVERE when
 * it ended; OK if none did. The status carries the detectors' readings ({@link
 * OverloadStatus#detectors()}). Requests are acquisitions for a limiter and tasks for an executor.
 * A monitor-only (shadow mode) limiter's refusals count as refusals (the monitor tells what
 * enforcing would do) and its acquisitions once: requests are {@code admitted + rejected -
 * monitoredRejections}.
 *
 * <p>The monitor reads the guard through its public {@code snapshot()} only, so it monitors any
 * {@link Limiter} or {@link AdmissionExecutor}, decorators included (a decorator forwards
 * {@code snapshot()}); a limiter whose snapshot counts nothing reads as OK.
 *
 * <h2>Thread-safety</h2>
 * {@link #evaluate()} and {@link #status()} may be called from any thread. One evaluation runs at a
 * time; a concurrent call returns the last published status without waiting. The monitor only
 * reads the guard's snapshots (an evaluation that ends an interval allocates them): it never
 * slows the guard's callers.
 */
public final class OverloadMonitor {
  private static final long NONE = Long.MIN_VALUE;
  private static final VarHandle EVALUATING;

  static {
    try {
      EVALUATING = MethodHandles.lookup().findVarHandle(OverloadMonitor.class, "evaluating", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Reads the monitored guard, through its public snapshot. */
  private interface Source {
    Reading read();
  }

  /**
   * One reading: cumulative requests (each acquisition or task once) and refusals, and the limit
   * and bounds of the limiter.
   */
  private record Reading(long requests, long rejected, LimiterSnapshot limits) {}

  private final Source source;
  private final NanoClock clock;
  private final double threshold;
  private final long rejectionSustainNanos;
  private final long minimumSustainNanos;
  private final long intervalNanos;
  private final long minRequests;

  // Owned by the thread holding `evaluating`.
  private long intervalStart;
  private long requestsAtStart;
  private long rejectedAtStart;
  private long rejectingSince = NONE;
  private long atMinimumSince = NONE;

  private volatile int evaluating;
  private volatile OverloadStatus status;

  private OverloadMonitor(Builder b) {
    this.source = b.source;
    this.clock = b.clock;
    this.threshold = b.threshold;
    this.rejectionSustainNanos = b.rejectionSustainNanos;
    this.minimumSustainNanos = b.minimumSustainNanos;
    this.intervalNanos = b.intervalNanos;
    this.minRequests = b.minRequests;
    this.intervalStart = clock.nanoTime();
    Reading first = source.read();
    this.requestsAtStart = first.requests();
    this.rejectedAtStart = first.rejected();
    this.status = new OverloadStatus(OverloadState.OK, intervalStart, 0, 0, 0, 0,
        first.limits().limit(), first.limits().minLimit(), 0);
  }

  /**
   * Returns a builder for a monitor of any limiter (a decorator included), read through
   * {@link Limiter#snapshot()}; requests are its acquisitions.
   *
   * @throws IllegalArgumentException if the limiter is null
   */
  public static Builder newBuilder(Limiter limiter) {
    Args.notNull("limiter", limiter);
    return new Builder(() -> {
      LimiterSnapshot s = limiter.snapshot();
      return new Reading(s.admitted() + s.rejected() - s.monitoredRejections(), s.rejected(), s);
    });
  }

  /**
   * Returns a builder for a monitor of any executor (a decorator included), read through
   * {@link AdmissionExecutor#snapshot()} and its limiter's {@link Limiter#snapshot()}; requests
   * are its tasks, and refused ones are those rejected at submission or shed later, whatever the
   * reason.
   *
   * @throws IllegalArgumentException if the executor is null
   */
  public static Builder newBuilder(AdmissionExecutor executor) {
    Args.notNull("executor", executor);
    return new Builder(() -> {
      ExecutorSnapshot s = executor.snapshot();
      long refused = s.rejected() + s.shed();
      return new Reading(s.admitted() + refused, refused, executor.limiter().snapshot());
    });
  }

  /**
   * Ends the current interval if it is due and returns the status; otherwise (or if another thread
   * is evaluating) returns the last status. Never blocks.
   */
  public OverloadStatus evaluate() {
    long now = clock.nanoTime();
    if (!EVALUATING.compareAndSet(this, 0, 1)) {
      return status;
    }
    try {
      if (now - intervalStart >= intervalNanos) {
        status = endInterval(now);
      }
      return status;
    } finally {
      EVALUATING.setRelease(this, 0);
    }
  }

  /** Returns the status of the last evaluation, without evaluating. */
  public OverloadStatus status() {
    return status;
  }

  private OverloadStatus endInterval(long now) {
    Reading reading = source.read();
    long rejected = reading.rejected() - rejectedAtStart;
    long requests = reading.requests() - requestsAtStart;
    boolean rejecting = requests >= minRequests && rejected > threshold * requests;
    if (!rejecting) {
      rejectingSince = NONE;
    } else if (rejectingSince == NONE) {
      rejectingSince = intervalStart;
    }
    int limit = reading.limits().limit();
    int minLimit = reading.limits().minLimit();
    boolean atMinimum = reading.limits().limitAtMinimum();
    if (!atMinimum) {
      atMinimumSince = NONE;
    } else if (atMinimumSince == NONE) {
      atMinimumSince = now;
    }
    long rejectingFor = rejectingSince == NONE ? 0 : now - rejectingSince;
    long atMinimumFor = atMinimumSince == NONE ? 0 : now - atMinimumSince;
    List<DetectorState> detectors = reading.limits().detectors();
    OverloadState state;
    if ((rejecting && rejectingFor >= rejectionSustainNanos)
        || (atMinimum && atMinimumFor >= minimumSustainNanos)) {
      state = OverloadState.OVERLOADED;
    } else if (rejecting || atMinimum || DetectorState.worst(detectors) != OverloadLevel.NONE) {
      state = OverloadState.DEGRADED;
    } else {
      state = OverloadState.OK;
    }
    OverloadStatus result = new OverloadStatus(state, now, now - intervalStart, requests, rejected,
        rejectingFor, limit, minLimit, atMinimumFor, detectors);
    intervalStart = now;
    requestsAtStart = reading.requests();
    rejectedAtStart = reading.rejected();
    return result;
  }

  @Override
  public String toString() {
    return "OverloadMonitor[" + status + "]";
  }

  /**
   * Configures an {@link OverloadMonitor}. Every setter checks its arguments and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #rejectionRatio}</td><td>above 0.05 for 5 minutes</td></tr>
   *   <tr><td>{@link #limitAtMinimum}</td><td>for 1 minute</td></tr>
   *   <tr><td>{@link #interval}</td><td>10 s</td></tr>
   *   <tr><td>{@link #minRequests}</td><td>20 per interval</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
   * </table>
   *
   * <p>Not thread-safe; build on one thread, then share the monitor.
   */
  public static final class Builder {
    private static final Duration MAX_DURATION = Duration.ofDays(1);

    private final Source source;
    private NanoClock clock = NanoClock.system();
    private double threshold = 0.05;
    private long rejectionSustainNanos = Duration.ofMinutes(5).toNanos();
    private long minimumSustainNanos = Duration.ofMinutes(1).toNanos();
    private long intervalNanos = Duration.ofSeconds(10).toNanos();
    private long minRequests = 20;

    private Builder(Source source) {
      this.source = source;
    }

    /**
     * Sets the rejection rule: OVERLOADED when more than {@code threshold} of each interval's
     * requests were refused, without a break, for at least {@code sustain}.
     *
     * @param threshold in [0, 1)
     * @param sustain in [0, 1 day]; 0 makes the first rejecting interval OVERLOADED
     */
    public Builder rejectionRatio(double threshold, Duration sustain) {
      double t = Args.inClosedOpen("rejectionRatio threshold", threshold, 0.0, 1.0);
      this.rejectionSustainNanos =
          Args.nanosInRange("rejectionRatio sustain", sustain, Duration.ZERO, MAX_DURATION);
      this.threshold = t;
      return this;
    }

    /**
     * Sets the minimum rule: OVERLOADED when the limit has been seen at the algorithm's minimum,
     * at every evaluation, for at least {@code sustain}.
     *
     * @param sustain in [0, 1 day]
     */
    public Builder limitAtMinimum(Duration sustain) {
      this.minimumSustainNanos =
          Args.nanosInRange("limitAtMinimum sustain", sustain, Duration.ZERO, MAX_DURATION);
      return this;
    }

    /**
     * Sets the length of the intervals the rejection ratio is measured over.
     *
     * @param interval in [1 ms, 1 h]
     */
    public Builder interval(Duration interval) {
      this.intervalNanos =
          Args.nanosInRange("interval", interval, Duration.ofMillis(1), Duration.ofHours(1));
      return this;
    }

    /**
     * Sets how many requests an interval needs before its rejection ratio counts, so that two
     * rejections out of three requests at night do not page anyone.
     *
     * @param minRequests in [1, 1000000000]
     */
    public Builder minRequests(long minRequests) {
      this.minRequests = Args.inRange("minRequests", minRequests, 1L, 1_000_000_000L);
      return this;
    }

    /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
    public Builder clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /** Builds the monitor; its first interval starts now. */
    public OverloadMonitor build() {
      return new OverloadMonitor(this);
    }
  }
}
