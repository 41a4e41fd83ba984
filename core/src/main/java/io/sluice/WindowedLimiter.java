package io.sluice;

import io.sluice.detector.OverloadDetector;
import io.sluice.internal.CumulativeHistogram;
import io.sluice.internal.RetryAfterEstimator;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.metrics.DetectorState;
import io.sluice.metrics.LimiterSnapshot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/*
 * The limiter: a packed admission word, a table of permit slots, and a window aggregator. The
 * rules with files of their own: PermitTable (the slots), LimiterPriorities (shares), LimiterCounts
 * (metrics), LimiterWindows (window closing and sampling), DetectorFold (overload detectors) and
 * RetryAfterEstimator; LimiterLayout pads the fields they share, by inheritance.
 *
 * Admission word (`state`): the low 32 bits hold the in-flight units, the high 32 bits a wrapping
 * count of releases. Acquire reads the word and the limit (or its level's share of it, see
 * Priorities) and compare-and-sets in-flight + cost only if the sum stays within it, so the check
 * and the increment are one atomic step (no check-then-increment overshoot, also while the limit
 * shrinks). Release subtracts the cost and adds one release with a single getAndAdd: the window
 * closer derives the window's throughput from the high half without a separate counter on the
 * hot path.
 *
 * Permits (`permits`, see PermitTable for generations, growth and probing): after its admission
 * CAS, acquire claims a slot in a lock-free table of (state word, start time) pairs, starting at a
 * hash of the admission word it just installed (distinct for every admission), and returns the
 * ticket [generation:32 | slot:24]. Release frees the slot by CAS, so exactly one release of a
 * ticket wins and a second one (or a corrupted or foreign ticket) is counted as invalid; a release
 * whose CAS fails because a milestone sample or a cost adjustment changed the word reads it again
 * and retries. The table is sized by the work in flight, not by maxLimit. In the (unreachable in
 * practice) case that a claim finds no free slot, the admission is undone as an IGNORED release
 * and refused with LIMIT_REACHED, so the counts stay consistent.
 *
 * Milestone samples: sample(ticket) sets the slot's SAMPLED bit by CAS (so at most once per
 * permit, and a release racing with it frees the word it finds) and, if the permit is timed,
 * records now - start as its sample, as a timed release would, window check included; the release
 * of a sampled permit then records none. An untimed permit is not timed at its milestone either:
 * the sampler's choice is uniform over admissions, so timing the permits it picked, at release or
 * at milestone, keeps the samples an unbiased fraction of the work; forcing a clock read at every
 * acquisition for permits that might call sample() would cost every admission a clock read.
 *
 * Cost adjustment: adjust(ticket, newCost) rewrites the cost in the slot's word and moves the
 * in-flight units by the difference, bracketed by the weighted begin/end counts with extraUnits
 * moved by the same difference (so admitted() stays exact at rest). A refund CASes the word first,
 * then subtracts (a release in between frees the new cost and the refund the rest: never below
 * zero). An extra charge adds the units first, by a CAS that succeeds only while the in-flight
 * units before it are within the limit (or, monitor-only, stay within MAX_UNITS after it), then
 * CASes the word; if the permit was released meanwhile, the units go back. Since every charge is
 * checked against the limit in its own CAS, concurrent charges exceed the limit by at most one
 * charge.
 *
 * Priorities: each level has a share of the limit that applies only under contention; the rule
 * (shares, presses, how they lapse) is LimiterPriorities'. Acquire reads `cappedFrom` next to the
 * limit and admits work of a capped level only within its share (refused: PRIORITY_SHED; beyond
 * the limit itself: LIMIT_REACHED); a refusal presses the levels below it; the window closer
 * relaxes the shares no refusal has pressed lately.
 *
 * Monitor-only (shadow) mode: the volatile flag is read only on the refusal path. A refused
 * acquisition is counted and reported as usual, then admitted by a second CAS loop bounded only by
 * MAX_UNITS (2^22): the permit table, whose tickets name 2^24 slots, is built with that ceiling and
 * grows with the work in flight as always, so it stays at most half full. Beyond MAX_UNITS even a
 * monitor-only limiter refuses (LIMIT_REACHED, not counted as monitored).
 *
 * Retry-After: the limiter owns a RetryAfterEstimator (io.sluice.internal, where its rule is
 * described), shared with the guards built on it. The window closer publishes the window's median
 * round-trip time to it; a refusal hands it the release count of the admission word it read (a
 * count that has not moved since refusals began means nothing has completed: the hint grows with
 * that time) and the jitter draw it makes anyway, and gets back the value to advertise.
 *
 * Metrics without a cost on the hot path: LimiterCounts (see there) derives the counts from what
 * the limiter counts anyway; the window closer extends the release count there once per window.
 *
 * Overload detectors: a DetectorFold (see there) folds them into one volatile int, `overload`,
 * next to the limit. Only a SHEDDABLE acquisition reads it, before its admission CAS; if it reads
 * SEVERE the work is refused with PROCESS_OVERLOADED (in monitor-only mode, counted and then
 * admitted as usual). The other levels never read it, so their admit path is unchanged. The window
 * closer flags the window overloaded (WindowStats.overloaded()) if it reads ELEVATED or above; the
 * adaptive algorithms' base classes back off on that flag as on drops. Detectors sample on their
 * own threads, so a stall that lets no request complete (and so closes no window) still sheds
 * SHEDDABLE work at once.
 *
 * Hot fields are padded 128 bytes apart by inheritance (LimiterLayout): the admission word changes
 * on every acquire and release, the read-mostly fields (limit, cappedFrom, the detectors' word,
 * window start) only per window or under contention.
 */
final class WindowedLimiter extends LimiterWindows
    implements Limiter, RetryAfterEstimator.Source {
  private static final VarHandle STATE;
  private static final VarHandle MAX_IN_FLIGHT;

  private static final long COMPLETION_UNIT = 1L << 32;
  private static final long BUSY = PermitTable.BUSY;
  private static final long TIMED = PermitTable.TIMED;
  private static final long SAMPLED = PermitTable.SAMPLED;
  private static final int COST_SHIFT = PermitTable.COST_SHIFT;
  private static final long COST_MASK = PermitTable.COST_MASK;
  private static final int LIMIT_REACHED = RejectReason.LIMIT_REACHED.ordinal();
  private static final int PRIORITY_SHED = RejectReason.PRIORITY_SHED.ordinal();
  private static final int PROCESS_OVERLOADED = RejectReason.PROCESS_OVERLOADED.ordinal();
  private static final RejectReason[] REASONS = RejectReason.values();
  private static final Priority[] PRIORITIES = Priority.values();
  private static final int LEVELS = Priority.LEVELS;
  private static final int CRITICAL = Priority.CRITICAL.ordinal();
  private static final int SHEDDABLE = Priority.SHEDDABLE.ordinal();
  /**
   * The most units in flight a monitor-only limiter admits: its permit table (a ticket names 2^24
   * slots) then holds at most half of its 2^23 slots busy. Beyond it even a monitor-only limiter
   * refuses.
   */
  static final int MAX_UNITS = 1 << 22;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(LimiterLayout.State.class, "state", long.class);
      MAX_IN_FLIGHT = lookup.findVarHandle(LimiterLayout.Fields.class, "maxInFlight", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final RejectionListener rejectionListener;
  private final RetryAfterEstimator retryAfter;
  private final OverloadDetector[] detectors;
  /** Folds the detectors into {@code overload}; held here, since the detectors hold it weakly. */
  private final DetectorFold detectorFold;

  private final PermitTable permits;

  WindowedLimiter(Limiter.Builder builder, LimitAlgorithm algorithm, int minLimit,
      int initialLimit, int maxLimit) {
    super(builder, algorithm, minLimit, maxLimit);
    this.rejectionListener = builder.rejectionListener;
    this.retryAfter = new RetryAfterEstimator(this, clock, builder.minRetryAfterNanos,
        builder.maxRetryAfterNanos, builder.retryAfterJitter);
    List<OverloadDetector> detectorList = List.copyOf(builder.detectors);
    this.detectors = detectorList.toArray(new OverloadDetector[0]);
    this.detectorFold = new DetectorFold(this, detectorList);

    this.monitorOnly = builder.monitorOnly;
    this.permits = new PermitTable(MAX_UNITS);
    this.limit = initialLimit;
    this.windowStart = clock.nanoTime();
  }

  @Override
  public long tryAcquire() {
    return acquire(1, CRITICAL);
  }

  @Override
  public long tryAcquire(int cost) {
    return tryAcquire(cost, Priority.CRITICAL);
  }

  @Override
  public long tryAcquire(int cost, Priority priority) {
    if (priority == null) {
      throw new IllegalArgumentException("priority must not be null");
    }
    int level = priority.ordinal();
    if (cost != 1) {
      checkCost("cost", cost);
    }
    if (level == SHEDDABLE && severe() && !admitMonitored(level)) {
      return reject(PROCESS_OVERLOADED, level, state);
    }
    if (cost == 1) {
      return acquire(1, level);
    }
    weightedBegun.incrementAndGet();
    try {
      return acquire(cost, level);
    } finally {
      weightedEnded.incrementAndGet();
    }
  }

  private void checkCost(String name, int cost) {
    if (cost < 1 || cost > maxLimit) {
      throw new IllegalArgumentException(
          name + " must be in [1, " + maxLimit + "] but was " + cost);
    }
  }

  private long acquire(int cost, int level) {
    long current = state;
    for (;;) {
      int inFlightAfter = (int) current + cost;
      int limitNow = limit;
      int from = cappedFrom;
      int room = level >= from ? share(limitNow, level) : limitNow;
      if (inFlightAfter > room) {
        return refuse(cost, level, inFlightAfter > limitNow, current);
      }
      long next = current + cost;
      long witness = (long) STATE.compareAndExchange(this, current, next);
      if (witness == current) {
        noteInFlight(inFlightAfter);
        if (level < from && from < LEVELS) {
          noteReserveUse(from, inFlightAfter, limitNow);
        }
        return admitted(next, inFlightAfter, cost, level);
      }
      current = witness;
    }
  }

  /** Whether a detector reads SEVERE: one volatile read while all of them are calm. */
  private boolean severe() {
    int word = overload;
    return word != 0 && detectorFold.severe(word);
  }

  @Override
  boolean overloaded() {
    int word = overload;
    return word != 0 && detectorFold.overloaded(word);
  }

  /**
   * A refusal for overload: monitor-only, counts and reports it and returns true (the work goes on
   * to the usual admission); otherwise returns false and the caller refuses.
   */
  private boolean admitMonitored(int level) {
    if (!monitorOnly) {
      return false;
    }
    monitoredRejections.increment();
    count(PROCESS_OVERLOADED, level, state);
    return true;
  }

  /** Claims the slot of an admission; on the unreachable failure, undoes it and refuses. */
  private long admitted(long admissionWord, int inFlightAfter, int cost, int level) {
    long ticket = claimSlot(admissionWord, inFlightAfter, cost);
    return ticket != PermitTable.NO_SLOT ? ticket : reject(LIMIT_REACHED, level, admissionWord);
  }

  /**
   * The work does not fit: presses the shares of the levels below, then refuses it, or, in
   * monitor-only mode, counts and reports the refusal it would have been and admits it all the
   * same (up to MAX_UNITS in flight). {@code word} is the admission word the refusal read.
   */
  private long refuse(int cost, int level, boolean overLimit, long word) {
    int reason = overLimit ? LIMIT_REACHED : PRIORITY_SHED;
    if (level < LEVELS - 1) {
      press(level);
    }
    if (monitorOnly) {
      long current = state;
      for (;;) {
        int inFlightAfter = (int) current + cost;
        if (inFlightAfter > MAX_UNITS) {
          break;
        }
        long next = current + cost;
        long witness = (long) STATE.compareAndExchange(this, current, next);
        if (witness == current) {
          noteInFlight(inFlightAfter);
          long ticket = claimSlot(next, inFlightAfter, cost);
          if (ticket == PermitTable.NO_SLOT) {
            break;
          }
          count(reason, level, word);
          monitoredRejections.increment(); // after the refusal: a snapshot reads it first
          return ticket;
        }
        current = witness;
      }
    }
    return reject(reason, level, word);
  }

  private long reject(int reason, int level, long word) {
    long retryAfterNanos = count(reason, level, word);
    return Ticket.encodeRejection(reason, retryAfterNanos);
  }

  /**
   * Counts a refusal, tells the listener, and returns the Retry-After it advertised: the
   * estimator's, given the release count of the admission word the refusal read.
   */
  private long count(int reason, int level, long word) {
    refusals[block(reason) + level].increment();
    long retryAfterNanos =
        retryAfter.advertise((int) (word >>> 32), ThreadLocalRandom.current().nextLong());
    RejectionListener listener = rejectionListener;
    if (listener != null) {
      notifyRejected(listener, reason, level, retryAfterNanos);
    }
    return retryAfterNanos;
  }

  private static void notifyRejected(RejectionListener listener, int reason, int level,
      long retryAfterNanos) {
    try {
      listener.onRejected(REASONS[reason], PRIORITIES[level], retryAfterNanos);
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

  /** Claims a permit slot for an admission; on failure undoes the admission and returns NO_SLOT. */
  private long claimSlot(long admissionWord, int inFlightAfter, int cost) {
    if (cost > 1) {
      extraUnits.add(cost - 1);
    }
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
      undoAdmission(cost);
    }
    return ticket;
  }

  /**
   * Takes back an admission that found no permit slot (see the design comment: unreachable in
   * practice). It is counted as admitted and released IGNORED, so admitted() still equals
   * releases() at rest; the caller refuses the work.
   */
  private void undoAdmission(int cost) {
    ignoredReleases.increment();
    if (cost > 1) {
      extraUnits.add(1 - cost);
    }
    STATE.getAndAdd(this, COMPLETION_UNIT - cost);
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome must not be null");
    }
    PermitTable table = permits;
    long word;
    long startNanos;
    do {
      word = table.heldWord(permit);
      if (word == 0) {
        invalidReleases.increment();
        return false;
      }
      startNanos = table.startNanos(permit);
      // A failed free means the word changed: released by another call, or sampled or adjusted.
    } while (!table.free(permit, word));
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
    // A permit that recorded its milestone sample records none at release.
    boolean timed = (word & (TIMED | SAMPLED)) == TIMED;
    if (outcome == Outcome.SUCCESS) {
      if (timed) {
        onClockedEvent(startNanos, true);
      }
    } else if (outcome == Outcome.DROPPED) {
      drops.increment();
      onClockedEvent(startNanos, false);
    } else {
      ignoredReleases.increment();
      if (timed) {
        onClockedEvent(startNanos, false);
      }
    }
    return true;
  }

  @Override
  public boolean sample(long permit) {
    PermitTable table = permits;
    for (;;) {
      long word = table.heldWord(permit);
      if (word == 0) {
        invalidSamples.increment();
        return false;
      }
      if ((word & SAMPLED) != 0) {
        return false;
      }
      long startNanos = (word & TIMED) != 0 ? table.startNanos(permit) : 0;
      if (table.replace(permit, word, word | SAMPLED)) {
        if ((word & TIMED) != 0) {
          onClockedEvent(startNanos, true);
        }
        return true;
      }
    }
  }

  @Override
  public boolean adjust(long permit, int newCost) {
    checkCost("newCost", newCost);
    PermitTable table = permits;
    for (;;) {
      long word = table.heldWord(permit);
      if (word == 0) {
        invalidAdjustments.increment();
        return false;
      }
      int delta = newCost - (int) ((word & COST_MASK) >>> COST_SHIFT);
      if (delta == 0) {
        return true;
      }
      long adjusted = word & ~COST_MASK | (long) newCost << COST_SHIFT;
      weightedBegun.incrementAndGet();
      try {
        if (delta < 0) {
          // A refund: the permit's word first, so a release racing with this one frees the new
          // cost and this call the rest; the units are free at once.
          if (table.replace(permit, word, adjusted)) {
            extraUnits.add(delta);
            STATE.getAndAdd(this, (long) delta);
            return true;
          }
        } else {
          // An extra charge: the units first, checked against the limit in the same CAS, then
          // the word; if the permit changed meanwhile, the units go back and the call retries.
          if (!charge(delta)) {
            return false;
          }
          if (table.replace(permit, word, adjusted)) {
            extraUnits.add(delta);
            return true;
          }
          STATE.getAndAdd(this, (long) -delta);
        }
      } finally {
        weightedEnded.incrementAndGet();
      }
    }
  }

  /**
   * Takes {@code delta} more units for running work if in-flight units are within the limit (or,
   * monitor-only, within MAX_UNITS after it): so in-flight exceeds the limit by at most one
   * charge, however many threads charge at once.
   */
  private boolean charge(int delta) {
    long current = state;
    for (;;) {
      int inFlight = (int) current;
      if (inFlight > limit && !(monitorOnly && inFlight + delta <= MAX_UNITS)) {
        return false;
      }
      long witness = (long) STATE.compareAndExchange(this, current, current + delta);
      if (witness == current) {
        noteInFlight(inFlight + delta);
        return true;
      }
      current = witness;
    }
  }

  @Override
  public boolean monitorOnly() {
    return monitorOnly;
  }

  @Override
  public void monitorOnly(boolean monitorOnly) {
    this.monitorOnly = monitorOnly;
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
    return retryAfter.estimateNanos();
  }

  /** Returns the wrapping count of releases, which the Retry-After estimator watches. */
  @Override
  public int completions() {
    return (int) (state >>> 32);
  }

  @Override
  public RetryAfterEstimator retryAfterEstimator() {
    return retryAfter;
  }

  @Override
  void publishService(long medianRttNanos) {
    retryAfter.publishService(medianRttNanos);
  }

  /**
   * Reads every count. Outcome counts before releases, so that a release counted as a drop or
   * ignored is counted as a release too; monitored refusals before refusals (which refuse()
   * counts first), so that they never exceed them.
   */
  @Override
  public LimiterSnapshot snapshot() {
    long monitored = monitoredRejections.sum();
    long dropped = drops();
    long ignored = ignoredReleases();
    long releases = releases();
    long admitted = Math.max(releases, admitted());
    LimiterSnapshot.Builder b = LimiterSnapshot.newBuilder()
        .limit(limit)
        .limits(minLimit, maxLimit)
        .inFlight(inFlight())
        .retryAfterNanos(retryAfterNanos())
        .admitted(admitted)
        .completed(Outcome.SUCCESS, Math.max(0L, releases - dropped - ignored))
        .completed(Outcome.DROPPED, dropped)
        .completed(Outcome.IGNORED, ignored);
    for (int level = 0; level < LEVELS; level++) {
      b.rejected(RejectReason.LIMIT_REACHED, PRIORITIES[level], refusals[level].sum());
      b.rejected(RejectReason.PRIORITY_SHED, PRIORITIES[level], refusals[LEVELS + level].sum());
      b.rejected(RejectReason.PROCESS_OVERLOADED, PRIORITIES[level],
          refusals[2 * LEVELS + level].sum());
    }
    return b.monitoredRejections(monitored)
        .invalidReleases(invalidReleases.sum())
        .invalidSamples(invalidSamples.sum())
        .invalidAdjustments(invalidAdjustments.sum())
        .windowsClosed(windowsClosed)
        .rtt(rttTotals.snapshot())
        .detectors(detectorStates())
        .build();
  }

  /** Reads each detector once, in order. */
  private List<DetectorState> detectorStates() {
    if (detectors.length == 0) {
      return List.of();
    }
    DetectorState[] states = new DetectorState[detectors.length];
    for (int i = 0; i < states.length; i++) {
      states[i] = new DetectorState(detectors[i].name(), detectors[i].signal());
    }
    return List.of(states);
  }

  /** Returns the permit slots allocated: small until many permits are held at once. */
  int permitCapacity() {
    return permits.capacity();
  }

  /** Returns the round-trip times of sampled successes, as of the last closed window. */
  CumulativeHistogram rtt() {
    return rttTotals;
  }


  @Override
  public String toString() {
    return "Limiter[algorithm=" + algorithm + ", limit=" + limit() + ", inFlight=" + inFlight()
        + ", retryAfterNanos=" + retryAfterNanos() + "]";
  }
}
