package io.sluice.metrics;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.detector.OverloadLevel;
import io.sluice.internal.Args;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link Limiter} is doing, read at one moment by {@link Limiter#snapshot()}: its limit,
 * in-flight units and Retry-After, its counts since it was built, and the distribution of
 * round-trip times of admitted work.
 *
 * <pre>{@code
 * LimiterSnapshot before = limiter.snapshot();
 * ...
 * LimiterSnapshot now = limiter.snapshot();
 * long rejectedMeanwhile = now.rejected() - before.rejected();
 * long p99 = now.rtt().minus(before.rtt()).valueAtQuantile(0.99);   // RTT p99 of the interval
 * }</pre>
 *
 * <h2>Semantics</h2>
 * Counts are cumulative since the limiter was built and never decrease: a rate or an interval is
 * the difference of two snapshots. {@code admitted} counts permits issued (a weighted permit counts
 * once); each is released as {@link Outcome#SUCCESS}, {@link Outcome#DROPPED} or
 * {@link Outcome#IGNORED}, or is still in flight, so at rest
 * {@code admitted == succeeded + dropped + ignored + permits in flight} (in-flight <em>units</em>
 * equal permits when every cost is 1). {@code rejected} counts every refusal, by reason and
 * priority, monitor-only (shadow mode) refusals included: {@link #monitoredRejections()} of them
 * were admitted all the same (and count in {@code admitted} too), so the refusals enforced are the
 * difference, and the acquisitions asked for are {@code admitted + rejected - monitoredRejections}.
 * While weighted permits are being acquired or released on other threads, {@code admitted} may
 * lag behind by the ones under way (it never runs ahead, and never goes back).
 *
 * <p>The RTT distribution of the built-in limiter is sampled at high traffic (every request at low
 * traffic, one in {@code 2^k} at high traffic: see {@link
 * io.sluice.Limiter.Builder#maxSamplingPeriod}); its counts are samples, not requests, while every
 * other count is exact. It holds the windows the limiter has closed (at most about a second old
 * with the default window settings), because the window closer folds each window's histogram into
 * it: the acquire and release paths do no work for it.
 *
 * <p>A limiter that does not count something reports 0 for it; {@link Limiter#snapshot()}
 * documents what its default (for test doubles and decorators that do not forward it) can know.
 *
 * <h2>Thread-safety</h2>
 * Immutable. The built-in limiter's {@link Limiter#snapshot()} may be called from any thread at any
 * time and never blocks the limiter's callers: it reads counters that writers update with atomic
 * adds. The fields are read one after another, so under concurrent traffic a snapshot is not one
 * atomic cut: a release in progress may count as a success in one snapshot and as a drop in the
 * next, and a weighted acquisition in progress may be off by its extra units. At rest it is exact.
 * {@link #newBuilder()} builds one (for a {@code Limiter} implementation); the builder is not
 * thread-safe.
 */
public final class LimiterSnapshot {
  private static final int LEVELS = Priority.LEVELS;
  private static final int REASONS = RejectReason.values().length;

  private final int limit;
  private final int minLimit;
  private final int maxLimit;
  private final int inFlight;
  private final long retryAfterNanos;
  private final long admitted;
  private final long succeeded;
  private final long dropped;
  private final long ignored;
  /** Index reason * LEVELS + priority. */
  private final long[] rejected;
  private final long monitoredRejections;
  private final long invalidReleases;
  private final long invalidSamples;
  private final long invalidAdjustments;
  private final long windowsClosed;
  private final LatencySnapshot rtt;
  private final List<DetectorState> detectors;

  private LimiterSnapshot(Builder b) {
    this.limit = b.limit;
    this.minLimit = b.minLimit;
    this.maxLimit = b.maxLimit;
    this.inFlight = b.inFlight;
    this.retryAfterNanos = b.retryAfterNanos;
    this.admitted = b.admitted;
    this.succeeded = b.succeeded;
    this.dropped = b.dropped;
    this.ignored = b.ignored;
    this.rejected = b.rejected.clone();
    this.monitoredRejections = b.monitoredRejections;
    this.invalidReleases = b.invalidReleases;
    this.invalidSamples = b.invalidSamples;
    this.invalidAdjustments = b.invalidAdjustments;
    this.windowsClosed = b.windowsClosed;
    this.rtt = b.rtt;
    this.detectors = b.detectors;
  }

  /** Returns a builder of a snapshot whose every value is 0 (and whose RTTs are empty). */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns the limit in force, in units. */
  public int limit() {
    return limit;
  }

  /** Returns the algorithm's smallest limit; 0 if the limiter does not say. */
  public int minLimit() {
    return minLimit;
  }

  /** Returns the algorithm's largest limit; 0 if the limiter does not say. */
  public int maxLimit() {
    return maxLimit;
  }

  /** Returns the units held by admitted work not yet released. */
  public int inFlight() {
    return inFlight;
  }

  /** Returns the Retry-After estimate before jitter, in nanoseconds. */
  public long retryAfterNanos() {
    return retryAfterNanos;
  }

  /** Returns the permits issued, monitor-only admissions included. */
  public long admitted() {
    return admitted;
  }

  /** Returns the permits released as {@code SUCCESS}. */
  public long succeeded() {
    return succeeded;
  }

  /** Returns the permits released as {@code DROPPED}. */
  public long dropped() {
    return dropped;
  }

  /** Returns the permits released as {@code IGNORED}. */
  public long ignored() {
    return ignored;
  }

  /** Returns the permits released, whatever their outcome. */
  public long completed() {
    return succeeded + dropped + ignored;
  }

  /** Returns every refusal, all reasons and priorities, monitor-only refusals included. */
  public long rejected() {
    return Arrays.stream(rejected).sum();
  }

  /**
   * Returns the refusals of {@code priority} for {@code reason}, monitor-only refusals included.
   * A limiter refuses with {@link RejectReason#LIMIT_REACHED} and
   * {@link RejectReason#PRIORITY_SHED}; the other reasons count 0.
   */
  public long rejected(RejectReason reason, Priority priority) {
    return rejected[index(reason, priority)];
  }

  /**
   * Returns how many of {@link #rejected()} were not enforced because the limiter was monitor-only
   * (shadow mode): the work was admitted.
   */
  public long monitoredRejections() {
    return monitoredRejections;
  }

  /** Returns the releases that changed nothing: second releases, rejections, foreign tickets. */
  public long invalidReleases() {
    return invalidReleases;
  }

  /** Returns the milestone samples that named no permit held. */
  public long invalidSamples() {
    return invalidSamples;
  }

  /** Returns the cost adjustments that named no permit held. */
  public long invalidAdjustments() {
    return invalidAdjustments;
  }

  /** Returns the windows closed, i.e. runs of the limit algorithm. */
  public long windowsClosed() {
    return windowsClosed;
  }

  /** Returns the round-trip times of sampled successes, cumulative. */
  public LatencySnapshot rtt() {
    return rtt;
  }

  /**
   * Returns the readings of the limiter's overload detectors, in the order they were added; empty
   * without detectors. Immutable.
   */
  public List<DetectorState> detectors() {
    return detectors;
  }

  /** Returns the worst level the detectors read: NONE without detectors. */
  public OverloadLevel overload() {
    return DetectorState.worst(detectors);
  }

  /** Returns whether the limit sits at the algorithm's minimum and the algorithm can move it. */
  public boolean limitAtMinimum() {
    return limit <= minLimit && minLimit < maxLimit;
  }

  private static int index(RejectReason reason, Priority priority) {
    return Args.notNull("reason", reason).ordinal() * LEVELS
        + Args.notNull("priority", priority).ordinal();
  }

  /** Two snapshots are equal when every value is. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof LimiterSnapshot)) {
      return false;
    }
    LimiterSnapshot s = (LimiterSnapshot) o;
    return limit == s.limit && minLimit == s.minLimit && maxLimit == s.maxLimit
        && inFlight == s.inFlight && retryAfterNanos == s.retryAfterNanos
        && admitted == s.admitted && succeeded == s.succeeded && dropped == s.dropped
        && ignored == s.ignored && Arrays.equals(rejected, s.rejected)
        && monitoredRejections == s.monitoredRejections && invalidReleases == s.invalidReleases
        && invalidSamples == s.invalidSamples && invalidAdjustments == s.invalidAdjustments
        && windowsClosed == s.windowsClosed && rtt.equals(s.rtt)
        && detectors.equals(s.detectors);
  }

  @Override
  public int hashCode() {
    return Objects.hash(limit, minLimit, maxLimit, inFlight, retryAfterNanos, admitted, succeeded,
        dropped, ignored, Arrays.hashCode(rejected), monitoredRejections, invalidReleases,
        invalidSamples, invalidAdjustments, windowsClosed, rtt, detectors);
  }

  @Override
  public String toString() {
    return "LimiterSnapshot[limit=" + limit + ", minLimit=" + minLimit + ", maxLimit=" + maxLimit
        + ", inFlight=" + inFlight + ", retryAfterNanos=" + retryAfterNanos + ", admitted="
        + admitted + ", succeeded=" + succeeded + ", dropped=" + dropped + ", ignored=" + ignored
        + ", rejected=" + rejected() + ", monitoredRejections=" + monitoredRejections
        + ", invalidReleases=" + invalidReleases + ", invalidSamples=" + invalidSamples
        + ", invalidAdjustments=" + invalidAdjustments + ", windowsClosed=" + windowsClosed
        + ", rtt=" + rtt + ", detectors=" + detectors + "]";
  }

  /**
   * Builds a {@link LimiterSnapshot}, for a {@link Limiter} implementation's
   * {@link Limiter#snapshot()}. Every value starts at 0 (the RTTs empty); every setter checks its
   * argument at once and throws an {@link IllegalArgumentException} naming the parameter, the
   * value and the allowed range. Not thread-safe.
   */
  public static final class Builder {
    private int limit;
    private int minLimit;
    private int maxLimit;
    private int inFlight;
    private long retryAfterNanos;
    private long admitted;
    private long succeeded;
    private long dropped;
    private long ignored;
    private final long[] rejected = new long[REASONS * LEVELS];
    private long monitoredRejections;
    private long invalidReleases;
    private long invalidSamples;
    private long invalidAdjustments;
    private long windowsClosed;
    private LatencySnapshot rtt = LatencySnapshot.empty();
    private List<DetectorState> detectors = List.of();

    private Builder() {}

    /** Sets the limit in force, zero or more. */
    public Builder limit(int limit) {
      this.limit = Args.inRange("limit", limit, 0, Integer.MAX_VALUE);
      return this;
    }

    /**
     * Sets the algorithm's smallest and largest limits.
     *
     * @param min zero or more
     * @param max in [min, Integer.MAX_VALUE]
     */
    public Builder limits(int min, int max) {
      Args.inRange("minLimit", min, 0, Integer.MAX_VALUE);
      this.maxLimit = Args.inRange("maxLimit", max, min, Integer.MAX_VALUE);
      this.minLimit = min;
      return this;
    }

    /** Sets the units in flight, zero or more. */
    public Builder inFlight(int inFlight) {
      this.inFlight = Args.inRange("inFlight", inFlight, 0, Integer.MAX_VALUE);
      return this;
    }

    /** Sets the Retry-After estimate before jitter, zero or more nanoseconds. */
    public Builder retryAfterNanos(long retryAfterNanos) {
      this.retryAfterNanos = count("retryAfterNanos", retryAfterNanos);
      return this;
    }

    /** Sets the permits issued, zero or more. */
    public Builder admitted(long admitted) {
      this.admitted = count("admitted", admitted);
      return this;
    }

    /** Sets the permits released with {@code outcome}, zero or more. */
    public Builder completed(Outcome outcome, long count) {
      long n = count("completed", count);
      switch (Args.notNull("outcome", outcome)) {
        case SUCCESS -> this.succeeded = n;
        case DROPPED -> this.dropped = n;
        case IGNORED -> this.ignored = n;
        default -> throw new IllegalArgumentException("unknown outcome " + outcome);
      }
      return this;
    }

    /** Sets the refusals of {@code priority} for {@code reason}, zero or more. */
    public Builder rejected(RejectReason reason, Priority priority, long count) {
      rejected[index(reason, priority)] = count("rejected", count);
      return this;
    }

    /** Sets the refusals that monitor-only mode admitted, zero or more. */
    public Builder monitoredRejections(long count) {
      this.monitoredRejections = count("monitoredRejections", count);
      return this;
    }

    /** Sets the releases that changed nothing, zero or more. */
    public Builder invalidReleases(long count) {
      this.invalidReleases = count("invalidReleases", count);
      return this;
    }

    /** Sets the milestone samples that named no permit held, zero or more. */
    public Builder invalidSamples(long count) {
      this.invalidSamples = count("invalidSamples", count);
      return this;
    }

    /** Sets the cost adjustments that named no permit held, zero or more. */
    public Builder invalidAdjustments(long count) {
      this.invalidAdjustments = count("invalidAdjustments", count);
      return this;
    }

    /** Sets the windows closed, zero or more. */
    public Builder windowsClosed(long count) {
      this.windowsClosed = count("windowsClosed", count);
      return this;
    }

    /** Sets the round-trip times of sampled successes. */
    public Builder rtt(LatencySnapshot rtt) {
      this.rtt = Args.notNull("rtt", rtt);
      return this;
    }

    /** Sets the readings of the limiter's overload detectors (copied); empty by default. */
    public Builder detectors(List<DetectorState> detectors) {
      this.detectors = List.copyOf(Args.notNull("detectors", detectors));
      return this;
    }

    /** Builds the snapshot; the builder may go on to build others. */
    public LimiterSnapshot build() {
      return new LimiterSnapshot(this);
    }

    private static long count(String name, long value) {
      return Args.inRange(name, value, 0L, Long.MAX_VALUE);
    }
  }
}
