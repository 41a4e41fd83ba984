package io.sluice;

import io.sluice.limit.LimitAlgorithm;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * Windows and sampling: when the limiter's window closes, what the closed window holds, and how
 * many permits are timed.
 *
 * Windows: a timed release that finds the window old enough (minWindow and minSamples samples or
 * drops, or maxWindow) tries to take the closing flag by CAS. The winner drains the aggregates,
 * runs the algorithm once, publishes the limit and the Retry-After estimate, and restarts the
 * window; the others carry on without waiting. Samples recorded while a window closes count in
 * the next one. A window without enough samples is not discarded: it stays open (merging the next
 * period's samples) until it has them or reaches maxWindow. The window's fields (the snapshot
 * handed to the algorithm and the counts as of the last close) are owned by the thread holding
 * the closing flag, whose release publishes them to the next holder.
 *
 * Sampling: a permit is timed (the clock is read at acquire and release) when bits of a hash of its
 * admission word are zero under the sampling mask. The admission word differs for every admission,
 * so timed permits are spread evenly over time; keying on slot generations instead made them come
 * in bursts, since the generations of busy slots advance together. The period is a power of two
 * the window closer chooses so that a window holds about TARGET_SAMPLES samples, never above the
 * configured maximum (64 by default) so that windows keep closing when traffic falls. DROPPED
 * releases always read the clock, so a window full of drops closes on time.
 *
 * A layer of the limiter's class chain (after LimiterCounts, before WindowedLimiter), so that the
 * release path reaches these fields on the limiter itself, without a pointer chase.
 */
/** The limiter's window closing and sampling rule, on its padded fields; see the design comment. */
abstract class LimiterWindows extends LimiterCounts {
  /** The samples a window aims at; the sampling period follows the releases per window. */
  static final int TARGET_SAMPLES = 1024;

  private static final VarHandle MAX_IN_FLIGHT;
  private static final VarHandle CLOSING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      MAX_IN_FLIGHT = lookup.findVarHandle(LimiterLayout.Fields.class, "maxInFlight", int.class);
      CLOSING = lookup.findVarHandle(LimiterLayout.Fields.class, "closing", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final NanoClock clock;
  final LimitAlgorithm algorithm;
  private final LimitListener[] listeners;
  final int minLimit;
  final int maxLimit;
  private final long minWindowNanos;
  private final long maxWindowNanos;
  private final int minWindowSamples;
  private final int maxSamplingPeriod;
  private final RttHistogram histogram = new RttHistogram();

  // Owned by the thread holding the closing flag.
  private final WindowSnapshot window = new WindowSnapshot();
  private int lastCompletionCount;
  private long lastRejections;

  LimiterWindows(Limiter.Builder builder, LimitAlgorithm algorithm, int minLimit, int maxLimit) {
    super(builder.shares);
    this.clock = builder.clock;
    this.algorithm = algorithm;
    this.listeners = builder.listeners.toArray(new LimitListener[0]);
    this.minLimit = minLimit;
    this.maxLimit = maxLimit;
    this.minWindowNanos = builder.minWindowNanos;
    this.maxWindowNanos = builder.maxWindowNanos;
    this.minWindowSamples = builder.minWindowSamples;
    this.maxSamplingPeriod = builder.maxSamplingPeriod;
  }

  /** Whether a detector reads ELEVATED or SEVERE: the closing window's overloaded flag. */
  abstract boolean overloaded();

  /** Hands a closed window's median round-trip time to the Retry-After estimator. */
  abstract void publishService(long medianRttNanos);

  /**
   * A release or milestone that reads the clock: records the sample, if any, and closes the window
   * when due.
   */
  final void onClockedEvent(long startNanos, boolean sample) {
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
    addReleases(w.completions);
    w.inFlight = (int) word;
    long dropTotal = drops.sum();
    w.drops = dropTotal - lastDropsSeen;
    lastDropsSeen = dropTotal;
    long rejectionTotal = rejections();
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
    w.overloaded = overloaded();

    // Restart the window before running user code, so a failure there is not retried per release.
    samplingMask = samplingMaskFor(w.completions);
    if (w.samples > 0) {
      publishService(w.rttNanos(0.5));
    }
    long closed = windowsClosed + 1;
    windowsClosed = closed;
    relaxShares(closed);
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

  /** Returns the windows closed so far. */
  long windowsClosed() {
    return windowsClosed;
  }

  /** Returns the algorithm's smallest limit. */
  int minLimit() {
    return minLimit;
  }

  /** Returns the algorithm's largest limit. */
  int maxLimit() {
    return maxLimit;
  }
}
