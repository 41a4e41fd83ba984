package io.sluice;

import io.sluice.internal.CumulativeHistogram;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/*
 * Metrics without a cost on the hot path: the counts are derived from what the limiter counts
 * anyway. The window closer extends the 32-bit wrapping release count to a 64-bit total
 * (releaseBase: the total at the last close, whose low half equals the count then; a reader adds
 * the unsigned distance of the current count, exact while fewer than 2^32 releases happen in one
 * window, which the window statistics already assume). Successes are releases minus drops minus
 * ignored releases, the last counted only on the IGNORED path. Permits issued are releases plus
 * permits outstanding; those are the in-flight units minus the extra units of weighted permits
 * (cost above 1, at admission or by adjustment), which only weighted work pays to count.
 * Refusals are LongAdders by reason and level, bumped on the reject path. The RTT distribution is
 * the sum of the closed windows' histograms, folded into a cumulative histogram by the window
 * closer, so the timed release records each sample once, as before. A rejection listener costs a
 * null check.
 */
/** The limiter's counts and how they are read; see the design comment. Thread-safe. */
abstract class LimiterCounts extends LimiterPriorities {
  private static final int LEVELS = Priority.LEVELS;
  private static final int LIMIT_REACHED = RejectReason.LIMIT_REACHED.ordinal();
  private static final int PRIORITY_SHED = RejectReason.PRIORITY_SHED.ordinal();
  private static final VarHandle RELEASE_BASE;

  static {
    try {
      RELEASE_BASE = MethodHandles.lookup()
          .findVarHandle(LimiterCounts.class, "releaseBase", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final LongAdder drops = new LongAdder();
  /**
   * Refusals (monitored ones included) by reason and level: LIMIT_REACHED, then PRIORITY_SHED,
   * then PROCESS_OVERLOADED.
   */
  final LongAdder[] refusals = new LongAdder[3 * LEVELS];
  /** Refusals that monitor-only mode turned into admissions. */
  final LongAdder monitoredRejections = new LongAdder();
  final LongAdder invalidReleases = new LongAdder();
  final LongAdder invalidSamples = new LongAdder();
  final LongAdder invalidAdjustments = new LongAdder();
  final LongAdder ignoredReleases = new LongAdder();
  /** Units of outstanding weighted permits beyond their first: in-flight units minus permits. */
  final LongAdder extraUnits = new LongAdder();
  /**
   * Weighted (cost above 1) acquisitions and releases begun and ended. Each changes the state word
   * and extraUnits in two steps; admitted() trusts a reading of both only if no weighted
   * operation overlapped it (see there). The unweighted paths never touch these.
   */
  final AtomicLong weightedBegun = new AtomicLong();
  final AtomicLong weightedEnded = new AtomicLong();
  /** The largest value admitted() has returned, which it never goes below. */
  final AtomicLong admittedFloor = new AtomicLong();
  final CumulativeHistogram rttTotals = new CumulativeHistogram();
  /** Releases as of the last closed window; its low 32 bits equal the release count then. */
  private long releaseBase;

  /** Takes each level's share of the limit, by ordinal, for LimiterPriorities. */
  LimiterCounts(double[] levelShares) {
    super(levelShares);
    for (int level = 0; level < LEVELS; level++) {
      refusals[level] = new LongAdder();
      refusals[LEVELS + level] = new LongAdder();
      refusals[2 * LEVELS + level] = new LongAdder();
    }
  }

  /** The first index of a reason's counts in {@code refusals}. */
  static int block(int reason) {
    return reason == LIMIT_REACHED ? 0 : reason == PRIORITY_SHED ? LEVELS : 2 * LEVELS;
  }

  /** Adds a closed window's releases to the 64-bit total; called by the window closer only. */
  final void addReleases(long windowReleases) {
    RELEASE_BASE.setRelease(this, (long) RELEASE_BASE.getOpaque(this) + windowReleases);
  }

  /** Returns the refusals, monitored ones included. */
  long rejections() {
    long total = 0;
    for (LongAdder count : refusals) {
      total += count.sum();
    }
    return total;
  }

  /** Returns the refusals for {@code reason} at {@code priority}. */
  long rejections(RejectReason reason, Priority priority) {
    if (reason == null || priority == null) {
      throw new IllegalArgumentException("reason and priority must not be null but were "
          + reason + " and " + priority);
    }
    if (reason == RejectReason.LIMIT_REACHED) {
      return refusals[priority.ordinal()].sum();
    }
    if (reason == RejectReason.PRIORITY_SHED) {
      return refusals[LEVELS + priority.ordinal()].sum();
    }
    return reason == RejectReason.PROCESS_OVERLOADED
        ? refusals[2 * LEVELS + priority.ordinal()].sum() : 0;
  }

  /** Returns the refusals that monitor-only mode admitted. */
  long monitoredRejections() {
    return monitoredRejections.sum();
  }

  /** Returns the releases of no held permit. */
  long invalidReleases() {
    return invalidReleases.sum();
  }

  /** Returns the samples of no held permit. */
  long invalidSamples() {
    return invalidSamples.sum();
  }

  /** Returns the adjustments of no held permit. */
  long invalidAdjustments() {
    return invalidAdjustments.sum();
  }

  /** Returns the permits released as DROPPED. */
  long drops() {
    return drops.sum();
  }

  /** Returns the permits released as IGNORED. */
  long ignoredReleases() {
    return ignoredReleases.sum();
  }

  /** Returns the permits released, whatever their outcome. */
  long releases() {
    long base = (long) RELEASE_BASE.getAcquire(this);
    return releasesIn(state, base);
  }

  /**
   * Releases plus permits held: the units in flight less the extra units of weighted permits.
   * A weighted operation updates the word and extraUnits in two steps, so a reading that overlaps
   * one could count a permit up to {@code cost} times, or not at all, and a counter exported to
   * a metrics system must never go back. So the reading is taken between two counts: if every
   * weighted operation begun before its end had ended before its start, nothing overlapped it and
   * it is exact. Otherwise (after a few tries) the last exact value stands: admitted() never
   * decreases, never exceeds the truth, and is exact whenever no weighted operation is under way.
   */
  long admitted() {
    for (int attempt = 0; attempt < 4; attempt++) {
      long ended = weightedEnded.get();
      long base = (long) RELEASE_BASE.getAcquire(this);
      long word = state;
      long extra = extraUnits.sum();
      if (weightedBegun.get() == ended) {
        long exact = releasesIn(word, base) + (int) word - extra;
        return admittedFloor.accumulateAndGet(exact, Math::max);
      }
    }
    return admittedFloor.get();
  }

  /** The 64-bit release total: the base read before the word, plus the count since it. */
  private static long releasesIn(long word, long base) {
    return base + Integer.toUnsignedLong((int) (word >>> 32) - (int) base);
  }
}
