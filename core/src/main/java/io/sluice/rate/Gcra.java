package io.sluice.rate;

import io.sluice.NanoClock;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The generic cell rate algorithm (GCRA, ITU-T I.371; also "virtual scheduling"), which is a token
 * bucket expressed as one number: the theoretical arrival time (TAT) of the next request.
 *
 * With emission interval T (the time one permit takes to refill) and tolerance tau = burst * T, a
 * request for n permits arriving at `now` conforms iff max(TAT, now) + n * T - tau <= now; if it
 * does, TAT becomes max(TAT, now) + n * T. The bucket holds (now + tau - max(TAT, now)) / T permits,
 * and is full when TAT <= now. A request that does not conform is refused without touching TAT,
 * and could conform exactly max(TAT, now) + n * T - tau - now later: that is the Retry-After, and
 * it is exact (not an estimate) as long as nobody else takes permits meanwhile.
 *
 * Exact arithmetic. T = period / permits is rarely a whole number of nanoseconds, and rounding it
 * would drift: at 3 permits per second a bucket rounded to 333,333,333 ns would over-admit one
 * permit per 10^9. So time is kept in scaled units: with g = gcd(period, permits), one nanosecond
 * is u = 2 * permits / g units and T = 2 * period / g units, both integers, and every comparison is
 * exact. Admission counts over any run of length t are therefore exactly burst + floor(t / T) from a
 * full bucket. (The factor 2 keeps every live word even; see freezing below.)
 *
 * Range. Scaled time is counted from the cell's anchor, and stays below 2^62 because a cell is
 * rebased (replaced by a successor anchored at the current time) once its anchor is older than
 * 2^61 / u ns, which is at least 1.15 s and at least 146 years when u = 2 (rates that divide their
 * period). A cell idle for longer than that is simply full, since TAT <= anchor + 2^61 + tau.
 *
 * Concurrency. One compare-and-set on the word per admission; a refusal writes nothing. The clock
 * is read before the word, so that only a few instructions separate the read of the word from the
 * CAS and contending threads rarely lose it (reading the word first, with the clock read in
 * between, cost two threads 114 ns per admission instead of 52 ns). A word written by a thread
 * whose clock reading is later than ours is fine to build on: admitting against an earlier `now`
 * is a stricter test and installs the same TAT. A refusal is computed against our reading, which
 * can only overstate the wait, and by no more than the time since that reading; a word more than
 * tau ahead of `now` (which a reading taken after the word could never see) makes the refusal
 * re-read the clock once. Lock-free: a failed CAS means another thread admitted.
 *
 * Freezing. A cell is replaced (rebased, or evicted from a keyed table) by first setting the low
 * bit of its word with a CAS from the exact state it had. From then on every CAS on that word
 * fails, so no admission can land on a cell that is being replaced; the frozen word still carries
 * the TAT, from which any thread can compute the successor cell and install it (helping, so a
 * replacement never waits on the thread that froze the cell).
 */
final class Gcra {
  /** Returned by {@link #tryAcquire} for an admission. */
  static final long PERMIT = 0L;
  /** Returned by {@link #tryAcquire} when the cell is frozen: install {@link #successor} and retry. */
  static final long FROZEN = 1L;

  /** The bound that scaled values stay under. */
  static final long SCALED_LIMIT = 1L << 62;

  private static final VarHandle WORD;

  static {
    try {
      WORD = MethodHandles.lookup().findVarHandle(GcraCell.class, "word", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final NanoClock clock;
  final long permits;
  final long periodNanos;
  final int burst;
  /** Scaled units per nanosecond (u). */
  final long unitsPerNano;
  /** Scaled units per permit (T). */
  final long interval;
  /** burst * T: how far TAT may run ahead of now. */
  final long tolerance;
  /** A cell whose anchor is older than this is rebased before use. */
  final long rebaseAfterNanos;

  Gcra(NanoClock clock, long permits, long periodNanos, int burst) {
    long g = gcd(periodNanos, permits);
    this.clock = clock;
    this.permits = permits;
    this.periodNanos = periodNanos;
    this.burst = burst;
    this.unitsPerNano = 2 * (permits / g);
    this.interval = 2 * (periodNanos / g);
    this.tolerance = burst * interval;
    this.rebaseAfterNanos = (SCALED_LIMIT >>> 1) / unitsPerNano;
  }

  /** Returns a full bucket anchored now. */
  GcraCell newCell() {
    return new GcraCell(clock.nanoTime(), 0L);
  }

  /** Tries to take {@code n} permits (in [1, burst]); returns PERMIT, FROZEN or a rejection ticket. */
  long tryAcquire(GcraCell cell, int n) {
    long increment = n * interval;
    long nowNanos = clock.nanoTime();
    long tat = (long) WORD.getAcquire(cell);
    boolean reread = false;
    for (;;) {
      if ((tat & FROZEN) != 0) {
        return FROZEN;
      }
      long sinceAnchor = nowNanos - cell.anchorNanos;
      if (sinceAnchor > rebaseAfterNanos) {
        long witness = (long) WORD.compareAndExchange(cell, tat, tat | FROZEN);
        if (witness == tat) {
          return FROZEN;
        }
        tat = witness;
        continue;
      }
      long now = sinceAnchor * unitsPerNano;
      long next = Math.max(tat, now) + increment;
      long excess = next - now - tolerance;
      if (excess > 0) {
        if (tat - now > tolerance && !reread) {
          // Only a word written with a later clock reading than ours is this far ahead.
          nowNanos = clock.nanoTime();
          reread = true;
          continue;
        }
        return Ticket.rejection(RejectReason.RATE_LIMITED,
            Math.min(Ticket.MAX_RETRY_AFTER_NANOS, ceilDiv(excess, unitsPerNano)));
      }
      long witness = (long) WORD.compareAndExchange(cell, tat, next);
      if (witness == tat) {
        return PERMIT;
      }
      tat = witness;
    }
  }

  /** Returns the live cell that replaces a frozen one, anchored at {@code nowNanos}, same state. */
  GcraCell successor(GcraCell frozen, long nowNanos) {
    long tat = (long) WORD.getAcquire(frozen) & ~FROZEN;
    long sinceAnchor = nowNanos - frozen.anchorNanos;
    long rebased = sinceAnchor >= SCALED_LIMIT / unitsPerNano
        ? 0L
        : Math.max(0L, tat - sinceAnchor * unitsPerNano);
    return new GcraCell(nowNanos, rebased);
  }

  /** Returns the permits the cell holds at {@code nowNanos}, in [0, burst]. */
  long available(GcraCell cell, long nowNanos) {
    long ahead = scaledAhead(cell, nowNanos);
    return ahead <= 0 ? burst : (tolerance - Math.min(ahead, tolerance)) / interval;
  }

  /** Returns how long until the cell is full again (idle), in ns; zero or less if it is full. */
  long nanosUntilFull(GcraCell cell, long nowNanos) {
    long ahead = scaledAhead(cell, nowNanos);
    return ahead <= 0 ? ahead : ceilDiv(ahead, unitsPerNano);
  }

  /**
   * Freezes the cell if it is live and full at {@code nowNanos}: forgetting a full bucket changes
   * no decision, because a new bucket starts full. Returns whether this call froze it.
   */
  boolean freezeIfFull(GcraCell cell, long nowNanos) {
    long tat = (long) WORD.getAcquire(cell);
    while ((tat & FROZEN) == 0 && scaledAhead(cell.anchorNanos, tat, nowNanos) <= 0) {
      long witness = (long) WORD.compareAndExchange(cell, tat, tat | FROZEN);
      if (witness == tat) {
        return true;
      }
      tat = witness;
    }
    return false;
  }

  /** Returns whether the cell is frozen. */
  static boolean isFrozen(GcraCell cell) {
    return ((long) WORD.getAcquire(cell) & FROZEN) != 0;
  }

  /** TAT - now in scaled units; negative or zero when the bucket is full. */
  private long scaledAhead(GcraCell cell, long nowNanos) {
    return scaledAhead(cell.anchorNanos, (long) WORD.getAcquire(cell) & ~FROZEN, nowNanos);
  }

  private long scaledAhead(long anchorNanos, long tat, long nowNanos) {
    long sinceAnchor = nowNanos - anchorNanos;
    if (sinceAnchor >= SCALED_LIMIT / unitsPerNano) {
      return -1L;
    }
    return tat - sinceAnchor * unitsPerNano;
  }

  static long ceilDiv(long dividend, long divisor) {
    return (dividend + divisor - 1) / divisor;
  }

  static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String toString() {
    return permits + " per " + periodNanos + "ns, burst " + burst;
  }
}
