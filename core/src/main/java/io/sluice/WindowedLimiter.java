package io.sluice;

import io.sluice.internal.CumulativeHistogram;
import io.sluice.internal.LimiterProbe;
import io.sluice.limit.LimitAlgorithm;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/*
 * The limiter: a packed admission word, a table of permit slots, and a window aggregator.
 *
 * Admission word (`state`): the low 32 bits hold the in-flight units, the high 32 bits a wrapping
 * count of releases. Acquire reads the word and the limit and compare-and-sets in-flight + cost
 * only if the sum stays within the limit, so the check and the increment are one atomic step (no
 * check-then-increment overshoot, also while the limit shrinks). Release subtracts the cost and
 * adds one release with a single getAndAdd: the window closer derives the window's throughput from
 * the high half without a separate counter on the hot path.
 *
 * Permits (`permits`, see PermitTable): after its admission CAS, acquire claims a slot in a
 * lock-free table of (state word, start time) pairs, starting at a hash of the admission word it
 * just installed (distinct for every admission), and returns the ticket [generation:32 | slot:24].
 * Release CASes the slot from (generation, busy) to (generation + 1, free): exactly one release of
 * a ticket can win, a second one finds another generation and is counted as invalid. Every slot
 * starts at its own random generation, so a corrupted ticket (a neighbour's slot, a flipped bit)
 * or a ticket of another limiter is refused too, but for a 2^-32 chance. The table is sized by the
 * work in flight, not by maxLimit: it starts at 256 slots and grows (allocating, never moving a
 * slot) when in-flight units reach a new high above half its capacity, so the admit round trip and
 * the memory do not depend on maxLimit. It is at least twice as large as the units in flight, so
 * a claim finds a free slot within a few probes; its probing is bounded all the same, and in the
 * (unreachable in practice) case that it finds none, the admission is undone as an IGNORED
 * release and refused with LIMIT_REACHED, so the counts stay consistent.
 *
 * Sampling: a permit is timed (the clock is read at acquire and release) when bits of a hash of its
 * admission word are zero under the sampling mask. The admission word differs for every admission,
 * so timed permits are spread evenly over time; keying on slot generations instead made them come
 * in bursts, since the generations of busy slots advance together. The period is a power of two
 * the window closer chooses so that a window holds about TARGET_SAMPLES samples, never above the
 * configured maximum (64 by default) so that windows keep closing when traffic falls. DROPPED
 * releases always read the clock, so a window full of drops closes on time.
 *
 * Windows: a timed release that finds the window old enough (minWindow and minSamples samples or
 * drops, or maxWindow) tries to take the closing flag by CAS. The winner drains the aggregates,
 * runs the algorithm once, publishes the limit and the Retry-After estimate, and restarts the
 * window; the others carry on without waiting. Samples recorded while a window closes count in
 * the next one. A window without enough samples is not discarded: it stays open (merging the next
 * period's samples) until it has them or reaches maxWindow.
 *
 * Retry-After (Little's law): with X the smoothed throughput (completions per nanosecond), L the
 * units in flight and B a backlog of refused work that halves every window and grows by the
 * window's rejections (so it grows while overload persists and decays after), the estimate is
 * clamp((L + B) / X, minRetryAfter, maxRetryAfter / (1 + jitter)): the time the server needs to
 * serve what it holds plus what it recently refused. A rejection advertises the estimate plus a
 * uniform jitter in [0, jitter * estimate), so refused clients come back spread out.
 *
 * Metrics without a cost on the hot path: the counts are derived from what the limiter counts
 * anyway. The window closer extends the 32-bit wrapping release count to a 64-bit total
 * (releaseBase: the total at the last close, whose low half equals the count then; a reader adds
 * the unsigned distance of the current count, exact while fewer than 2^32 releases happen in one
 * window, which the window statistics already assume). Successes are releases minus drops minus
 * ignored releases, the last counted only on the IGNORED path. Permits issued are releases plus
 * permits outstanding; those are the in-flight units minus the extra units of weighted permits
 * (cost above 1), which only weighted work pays to count. The RTT distribution is the sum of the
 * closed windows' histograms, folded into a cumulative histogram by the window closer, so the
 * timed release records each sample once, as before. A rejection listener costs a null check.
 *
 * Hot fields are padded 128 bytes apart by inheritance: the admission word changes on every
 * acquire and release, the read-mostly fields (limit, window start, Retry-After) only per window.
 */
final class WindowedLimiter extends WindowedLimiterFields implements Limiter, LimiterProbe {
  static final int TARGET_SAMPLES = 1024;

  private static final VarHandle STATE;
  private static final VarHandle MAX_IN_FLIGHT;
  private static final VarHandle CLOSING;

  private static final long COMPLETION_UNIT = 1L << 32;
  private static final long BUSY = PermitTable.BUSY;
  private static final long TIMED = PermitTable.TIMED;
  private static final int COST_SHIFT = PermitTable.COST_SHIFT;
  private static final long COST_MASK = PermitTable.COST_MASK;
  private static final int LIMIT_REACHED = RejectReason.LIMIT_REACHED.ordinal();
  private static final VarHandle RELEASE_BASE;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(WindowedLimiterState.class, "state", long.class);
      MAX_IN_FLIGHT = lookup.findVarHandle(WindowedLimiterFields.class, "maxInFlight", int.class);
      CLOSING = lookup.findVarHandle(WindowedLimiterFields.class, "closing", int.class);
      RELEASE_BASE = lookup.findVarHandle(WindowedLimiter.class, "releaseBase", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final NanoClock clock;
  private final LimitAlgorithm algorithm;
  private final LimitListener[] listeners;
  private final RejectionListener rejectionListener;
  private final int minLimit;
  private final int maxLimit;
  private final long minWindowNanos;
  private final long maxWindowNanos;
  private final int minWindowSamples;
  private final long minRetryAfterNanos;
  private final long maxRetryAfterBaseNanos;
  private final double retryAfterJitter;
  private final int maxSamplingPeriod;

  private final PermitTable permits;
  private final RttHistogram histogram = new RttHistogram();
  private final LongAdder drops = new LongAdder();
  private final LongAdder rejections = new LongAdder();
  private final LongAdder invalidReleases = new LongAdder();
  private final LongAdder ignoredReleases = new LongAdder();
  /** Units of outstanding weighted permits beyond their first: in-flight units minus permits. */
  private final LongAdder extraUnits = new LongAdder();
  /**
   * Weighted (cost above 1) acquisitions and releases begun and ended. Each changes the state word
   * and extraUnits in two steps; admitted() trusts a reading of both only if no weighted
   * operation overlapped it (see there). The unweighted paths never touch these.
   */
  private final AtomicLong weightedBegun = new AtomicLong();
  private final AtomicLong weightedEnded = new AtomicLong();
  /** The largest value admitted() has returned, which it never goes below. */
  private final AtomicLong admittedFloor = new AtomicLong();
  private final CumulativeHistogram rttTotals = new CumulativeHistogram();
  /** Releases as of the last closed window; its low 32 bits equal the release count then. */
  private long releaseBase;

  // Owned by the thread holding the closing flag.
  private final WindowSnapshot window = new WindowSnapshot();
  private int lastCompletionCount;
  private long lastRejections;
  private double throughputPerNano;
  private double backlog;

  WindowedLimiter(LimiterBuilder builder) {
    this.clock = builder.clock;
    this.algorithm = builder.algorithm;
    this.listeners = builder.listeners.toArray(new LimitListener[0]);
    this.rejectionListener = builder.rejectionListener;
    this.minLimit = builder.minLimit;
    this.maxLimit = builder.maxLimit;
    this.minWindowNanos = builder.minWindowNanos;
    this.maxWindowNanos = builder.maxWindowNanos;
    this.minWindowSamples = builder.minWindowSamples;
    this.minRetryAfterNanos = builder.minRetryAfterNanos;
    this.retryAfterJitter = builder.retryAfterJitter;
    this.maxRetryAfterBaseNanos = (long) (builder.maxRetryAfterNanos / (1.0 + retryAfterJitter));
    this.maxSamplingPeriod = builder.maxSamplingPeriod;

    this.permits = new PermitTable(maxLimit);
    this.limit = builder.initialLimit;
    this.windowStart = clock.nanoTime();
    publishRetryAfter(minRetryAfterNanos);
  }

  @Override
  public long tryAcquire() {
    return tryAcquire(1);
  }

  @Override
  public long tryAcquire(int cost) {
    if (cost == 1) {
      return acquire(1);
    }
    if (cost < 1 || cost > maxLimit) {
      throw new IllegalArgumentException("cost must be in [1, " + maxLimit + "] but was " + cost);
    }
    weightedBegun.incrementAndGet();
    try {
      return acquire(cost);
    } finally {
      weightedEnded.incrementAndGet();
    }
  }

  private long acquire(int cost) {
    long current = state;
    for (;;) {
      int inFlightAfter = (int) current + cost;
      if (inFlightAfter > limit) {
        return reject();
      }
      long next = current + cost;
      long witness = (long) STATE.compareAndExchange(this, current, next);
      if (witness == current) {
        noteInFlight(inFlightAfter);
        if (cost > 1) {
          extraUnits.add(cost - 1);
        }
        return claimSlot(next, inFlightAfter, cost);
      }
      current = witness;
    }
  }

  private long reject() {
    rejections.increment();
    long base = retryAfterBase;
    long span = retryAfterSpan;
    long jitter = Math.multiplyHigh(ThreadLocalRandom.current().nextLong() >>> 1, span << 1);
    RejectionListener listener = rejectionListener;
    if (listener != null) {
      notifyRejected(listener, base + jitter);
    }
    return Ticket.encodeRejection(LIMIT_REACHED, base + jitter);
  }

  private static void notifyRejected(RejectionListener listener, long retryAfterNanos) {
    try {
      listener.onRejected(RejectReason.LIMIT_REACHED, Priority.CRITICAL, retryAfterNanos);
    } catch (RuntimeException ignored) {
      // Documented: the rejection stands whatever the listener does.
    }
  }

  private void noteInFlight(int inFlightNow) {
    int seen = maxInFlight;
    while (inFlightNow > seen) {
      int witness = (int) MAX_IN_FLIGHT.compareAndExchange(this, seen, inFlightNow);
      if (witness == seen) {
        return;
      }
      seen = witness;
    }
  }

  private long claimSlot(long admissionWord, int inFlightAfter, int cost) {
    // Fibonacci hash of the admission word, which is distinct for every admission: its top bits
    // pick the first slot to probe, bits 30-39 decide sampling. Both are uniform over admissions.
    long hash = (admissionWord ^ (admissionWord >>> 32)) * 0x9E37_79B9_7F4A_7C15L;
    boolean timed = ((int) (hash >>> 30) & samplingMask) == 0;
    long claimBits = ((long) cost << COST_SHIFT) | BUSY;
    long startNanos = 0;
    if (timed) {
      claimBits |= TIMED;
      startNanos = clock.nanoTime();
    }
    long ticket = permits.claim(inFlightAfter, hash, claimBits, startNanos);
    if (ticket == PermitTable.NO_SLOT) {
      return undoAdmission(cost);
    }
    return ticket;
  }

  /**
   * Takes back an admission that found no permit slot (see the design comment: unreachable in
   * practice). It is counted as admitted and released IGNORED, so admitted() still equals
   * releases() at rest, and the caller gets a rejection.
   */
  private long undoAdmission(int cost) {
    ignoredReleases.increment();
    if (cost > 1) {
      extraUnits.add(1 - cost);
    }
    STATE.getAndAdd(this, COMPLETION_UNIT - cost);
    return reject();
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome must not be null");
    }
    PermitTable table = permits;
    long word = table.heldWord(permit);
    if (word == 0) {
      invalidReleases.increment();
      return false;
    }
    long startNanos = table.startNanos(permit);
    if (!table.free(permit, word)) {
      invalidReleases.increment();
      return false;
    }
    int cost = (int) ((word & COST_MASK) >>> COST_SHIFT);
    boolean weighted = cost > 1;
    if (weighted) {
      weightedBegun.incrementAndGet();
      extraUnits.add(1 - cost);
    }
    STATE.getAndAdd(this, COMPLETION_UNIT - cost);
    if (weighted) {
      weightedEnded.incrementAndGet();
    }
    if (outcome == Outcome.SUCCESS) {
      if ((word & TIMED) != 0) {
        onClockedRelease(startNanos, true);
      }
    } else if (outcome == Outcome.DROPPED) {
      drops.increment();
      onClockedRelease(startNanos, false);
    } else {
      ignoredReleases.increment();
      if ((word & TIMED) != 0) {
        onClockedRelease(startNanos, false);
      }
    }
    return true;
  }

  /** A release that reads the clock: records the sample, if any, and closes the window when due. */
  private void onClockedRelease(long startNanos, boolean sample) {
    long now = clock.nanoTime();
    if (sample) {
      histogram.record(now - startNanos);
    }
    long start = windowStart;
    long elapsed = now - start;
    if (elapsed >= minWindowNanos
        && (elapsed >= maxWindowNanos
            || histogram.liveCount() + (drops.sum() - lastDropsSeen) >= minWindowSamples)) {
      tryCloseWindow(start, now);
    }
  }

  private void tryCloseWindow(long start, long now) {
    if (!CLOSING.compareAndSet(this, 0, 1)) {
      return;
    }
    try {
      if (windowStart == start) {
        closeWindow(start, now);
      }
    } finally {
      CLOSING.setRelease(this, 0);
    }
  }

  private void closeWindow(long start, long now) {
    WindowSnapshot w = window;
    w.startNanos = start;
    w.endNanos = now;
    long word = state;
    int completionCount = (int) (word >>> 32);
    w.completions = Integer.toUnsignedLong(completionCount - lastCompletionCount);
    lastCompletionCount = completionCount;
    RELEASE_BASE.setRelease(this, (long) RELEASE_BASE.getOpaque(this) + w.completions);
    w.inFlight = (int) word;
    long dropTotal = drops.sum();
    w.drops = dropTotal - lastDropsSeen;
    lastDropsSeen = dropTotal;
    long rejectionTotal = rejections.sum();
    w.rejections = rejectionTotal - lastRejections;
    lastRejections = rejectionTotal;
    w.rttSum = histogram.drainInto(w.rttCounts);
    rttTotals.add(w.rttCounts, w.rttSum);
    long samples = 0;
    for (long c : w.rttCounts) {
      samples += c;
    }
    w.samples = samples;
    w.maxInFlight = (int) MAX_IN_FLIGHT.getAndSet(this, w.inFlight);
    w.limit = limit;

    // Restart the window before running user code, so a failure there is not retried per release.
    samplingMask = samplingMaskFor(w.completions);
    updateRetryAfter(w);
    windowsClosed++;
    windowStart = now;

    int newLimit = Math.max(minLimit, Math.min(maxLimit, algorithm.update(w)));
    limit = newLimit;
    for (LimitListener listener : listeners) {
      listener.onWindowClosed(w, newLimit);
    }
  }

  private int samplingMaskFor(long completionsPerWindow) {
    long period = completionsPerWindow / TARGET_SAMPLES;
    if (period <= 1) {
      return 0;
    }
    return (int) Math.min(maxSamplingPeriod, Long.highestOneBit(period)) - 1;
  }

  private void updateRetryAfter(WindowSnapshot w) {
    if (w.completions > 0) {
      double x = (double) w.completions / w.durationNanos();
      throughputPerNano = throughputPerNano == 0 ? x : 0.5 * throughputPerNano + 0.5 * x;
    }
    backlog = 0.5 * backlog + w.rejections;
    double estimate;
    if (throughputPerNano > 0) {
      estimate = (w.inFlight + backlog) / throughputPerNano;
    } else {
      // Nothing has completed yet: double the estimate while refusals continue.
      estimate = w.rejections > 0 ? 2.0 * retryAfterBase : retryAfterBase;
    }
    publishRetryAfter(estimate);
  }

  private void publishRetryAfter(double estimateNanos) {
    long base = (long) Math.max(minRetryAfterNanos, Math.min(maxRetryAfterBaseNanos, estimateNanos));
    retryAfterBase = base;
    retryAfterSpan = (long) (base * retryAfterJitter);
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public int inFlight() {
    return (int) state;
  }

  @Override
  public long retryAfterNanos() {
    return retryAfterBase;
  }

  @Override
  public long rejections() {
    return rejections.sum();
  }

  @Override
  public long invalidReleases() {
    return invalidReleases.sum();
  }

  @Override
  public long windowsClosed() {
    return windowsClosed;
  }

  @Override
  public int minLimit() {
    return minLimit;
  }

  @Override
  public int maxLimit() {
    return maxLimit;
  }

  @Override
  public long drops() {
    return drops.sum();
  }

  @Override
  public long ignoredReleases() {
    return ignoredReleases.sum();
  }

  @Override
  public long releases() {
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
  @Override
  public long admitted() {
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

  /** Returns the permit slots allocated: small until many permits are held at once. */
  int permitCapacity() {
    return permits.capacity();
  }

  @Override
  public CumulativeHistogram rtt() {
    return rttTotals;
  }

  @Override
  public String toString() {
    return "Limiter[algorithm=" + algorithm + ", limit=" + limit() + ", inFlight=" + inFlight()
        + ", retryAfterNanos=" + retryAfterNanos() + "]";
  }
}

/** Padding before the admission word. */
abstract class WindowedLimiterPad0 {
  long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** The admission word, alone on its cache lines. */
abstract class WindowedLimiterState extends WindowedLimiterPad0 {
  /** Low 32 bits: in-flight units; high 32 bits: wrapping release count. */
  volatile long state;
}

/** Padding after the admission word. */
abstract class WindowedLimiterPad1 extends WindowedLimiterState {
  long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** Fields read on every call but written about once per window. */
abstract class WindowedLimiterFields extends WindowedLimiterPad1 {
  volatile int limit;
  volatile int maxInFlight;
  volatile int samplingMask;
  volatile int closing;
  volatile long windowStart;
  volatile long retryAfterBase;
  volatile long retryAfterSpan;
  volatile long windowsClosed;
  /** Drops already accounted to closed windows; read to decide whether a window has enough events. */
  volatile long lastDropsSeen;
  long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}
