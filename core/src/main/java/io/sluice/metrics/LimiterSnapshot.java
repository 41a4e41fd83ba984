package io.sluice.metrics;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.detector.OverloadLevel;
import io.sluice.internal.Args;
import io.sluice.internal.LimiterProbe;
import java.util.List;

/**
 * What a {@link Limiter} is doing, read at one moment: its limit, in-flight units and Retry-After,
 * its counts since it was built, and the distribution of round-trip times of admitted work.
 *
 * <pre>{@code
 * LimiterSnapshot before = LimiterSnapshot.of(limiter);
 * ...
 * LimiterSnapshot now = LimiterSnapshot.of(limiter);
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
 * equal permits when every cost is 1). {@code rejected} counts refused acquisitions. While
 * weighted permits are being acquired or released on other threads, {@code admitted} may lag
 * behind by the ones under way (it never runs ahead, and never goes back).
 *
 * <p>The RTT distribution is sampled at high traffic (every request at low traffic, one in
 * {@code 2^k} at high traffic: see {@code LimiterBuilder#maxSamplingPeriod}); its counts are
 * samples, not requests, while every other count is exact. It holds the windows the limiter has
 * closed (at most about a second old with the default window settings), because the window closer
 * folds each window's histogram into it: the acquire and release paths do no work for it.
 *
 * <h2>Thread-safety</h2>
 * {@link #of(Limiter)} may be called from any thread at any time and never blocks the limiter's
 * callers: it reads counters that writers update with atomic adds. The fields are read one after
 * another, so under concurrent traffic a snapshot is not one atomic cut: a release in progress may
 * count as a success in one snapshot and as a drop in the next, and a weighted acquisition in
 * progress may be off by its extra units. At rest it is exact. The record itself is immutable.
 *
 * @param limit the limit in force, in units
 * @param minLimit the algorithm's smallest limit
 * @param maxLimit the algorithm's largest limit
 * @param inFlight the units held by admitted work not yet released
 * @param retryAfterNanos the Retry-After estimate before jitter, in nanoseconds
 * @param admitted permits issued
 * @param succeeded permits released as {@code SUCCESS}
 * @param dropped permits released as {@code DROPPED}
 * @param ignored permits released as {@code IGNORED}
 * @param rejected acquisitions refused ({@code LIMIT_REACHED})
 * @param invalidReleases releases that changed nothing (second releases, rejections, foreign tickets)
 * @param windowsClosed windows closed, i.e. runs of the limit algorithm
 * @param rtt round-trip times of sampled successes, cumulative
 * @param detectors the readings of the limiter's overload detectors, in the order added (empty
 *     without detectors); immutable
 */
public record LimiterSnapshot(int limit, int minLimit, int maxLimit, int inFlight,
    long retryAfterNanos, long admitted, long succeeded, long dropped, long ignored, long rejected,
    long invalidReleases, long windowsClosed, LatencySnapshot rtt, List<DetectorState> detectors) {

  /** Checks that the distribution and the detector readings are not null; copies the readings. */
  public LimiterSnapshot {
    Args.notNull("rtt", rtt);
    detectors = List.copyOf(Args.notNull("detectors", detectors));
  }

  /** A snapshot of a limiter without overload detectors. */
  public LimiterSnapshot(int limit, int minLimit, int maxLimit, int inFlight,
      long retryAfterNanos, long admitted, long succeeded, long dropped, long ignored,
      long rejected, long invalidReleases, long windowsClosed, LatencySnapshot rtt) {
    this(limit, minLimit, maxLimit, inFlight, retryAfterNanos, admitted, succeeded, dropped,
        ignored, rejected, invalidReleases, windowsClosed, rtt, List.of());
  }

  /**
   * Reads a limiter built by {@link Limiter#newBuilder()}.
   *
   * @throws IllegalArgumentException if the limiter is null or another implementation
   */
  public static LimiterSnapshot of(Limiter limiter) {
    LimiterProbe probe = probe(limiter);
    // Outcome counts before releases: a release counted as a drop is counted as a release too.
    long dropped = probe.drops();
    long ignored = probe.ignoredReleases();
    long releases = probe.releases();
    long admitted = Math.max(releases, probe.admitted());
    long succeeded = Math.max(0L, releases - dropped - ignored);
    return new LimiterSnapshot(limiter.limit(), probe.minLimit(), probe.maxLimit(),
        limiter.inFlight(), limiter.retryAfterNanos(), admitted, succeeded, dropped, ignored,
        limiter.rejections(), limiter.invalidReleases(), limiter.windowsClosed(),
        LatencySnapshot.of(probe.rtt()), DetectorState.read(probe.detectors()));
  }

  static LimiterProbe probe(Limiter limiter) {
    if (!(Args.notNull("limiter", limiter) instanceof LimiterProbe)) {
      throw new IllegalArgumentException("limiter must be built by Limiter.newBuilder() but was "
          + limiter.getClass().getName());
    }
    return (LimiterProbe) limiter;
  }

  /** Returns the permits released, whatever their outcome. */
  public long completed() {
    return succeeded + dropped + ignored;
  }

  /** Returns the worst level the detectors read: NONE without detectors. */
  public OverloadLevel overload() {
    return DetectorState.worst(detectors);
  }

  /** Returns whether the limit sits at the algorithm's minimum and the algorithm can move it. */
  public boolean limitAtMinimum() {
    return limit <= minLimit && minLimit < maxLimit;
  }
}
