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
 * Debt (token quotas only). A token quota charges an estimate on admission and corrects it later
 * without the conformance test: a refund lowers TAT by the unused cost (never below now: a full
 * bucket holds no more), a debt raises max(TAT, now) by the extra cost, so TAT may run up to 2 *
 * tau ahead of now (a debt of at most one burst; more is forgiven and counted). Admission is
 * unchanged: a request conforms once the debt and its own cost have refilled, and the same formula
 * gives its exact Retry-After. Quotas keep tau <= 2^60 (see RateLimiter.Builder), so TAT stays
 * below 2^61 + 2^61 and an increment more stays below 2^63.
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

  /** Returned by {@link #adjust} and {@link #capAvailable} when the cell is frozen. */
  static final long FROZEN_CELL = Long.MIN_VALUE;

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
          // Only a word written with a later clock reading than ours, or a cell in debt, is this
          // far ahead.
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

  /**
   * Adds {@code cost} to what the cell has taken, without the conformance test: a positive cost is
   * a debt (capped so the bucket holds no less than minus one burst), a negative one a refund
   * (which never fills the bucket beyond full). Returns the part of a debt that did not fit (zero
   * or more), or {@link #FROZEN_CELL}.
   *
   * @param cost in [-burst, Integer.MAX_VALUE]
   */
  long adjust(GcraCell cell, long cost) {
    long nowNanos = clock.nanoTime();
    long tat = (long) WORD.getAcquire(cell);
    for (;;) {
      if ((tat & FROZEN) != 0) {
        return FROZEN_CELL;
      }
      long sinceAnchor = nowNanos - cell.anchorNanos;
      if (sinceAnchor > rebaseAfterNanos) {
        long witness = (long) WORD.compareAndExchange(cell, tat, tat | FROZEN);
        if (witness == tat) {
          return FROZEN_CELL;
        }
        tat = witness;
        continue;
      }
      long now = sinceAnchor * unitsPerNano;
      long next;
      long forgiven = 0L;
      if (cost < 0) {
        if (tat <= now) {
          return 0L;
        }
        // Words never go below the anchor (a reading taken before the anchor has a negative now).
        next = Math.max(Math.max(now, 0L), tat + cost * interval);
      } else {
        long base = Math.max(tat, now);
        long room = Math.max(0L, (now + 2 * tolerance - base) / interval);
        long charged = Math.min(cost, room);
        forgiven = cost - charged;
        if (charged == 0) {
          return forgiven;
        }
        next = base + charged * interval;
      }
      long witness = (long) WORD.compareAndExchange(cell, tat, next);
      if (witness == tat) {
        return forgiven;
      }
      tat = witness;
    }
  }

  /**
   * Lowers what the cell holds to at most {@code available} (in [0, burst]); never raises it.
   * Returns 0, or {@link #FROZEN_CELL}.
   */
  long capAvailable(GcraCell cell, long available) {
    long nowNanos = clock.nanoTime();
    long tat = (long) WORD.getAcquire(cell);
    for (;;) {
      if ((tat & FROZEN) != 0) {
        return FROZEN_CELL;
      }
      long sinceAnchor = nowNanos - cell.anchorNanos;
      if (sinceAnchor > rebaseAfterNanos) {
        long witness = (long) WORD.compareAndExchange(cell, tat, tat | FROZEN);
        if (witness == tat) {
          return FROZEN_CELL;
        }
        tat = witness;
        continue;
      }
      // Take whole units only, so that the fraction of a unit already refilled is kept.
      long now = sinceAnchor * unitsPerNano;
      long base = Math.max(tat, now);
      long held = Math.max(0L, now + tolerance - base) / interval;
      if (held <= available) {
        return 0L;
      }
      long witness = (long) WORD.compareAndExchange(cell, tat, base + (held - available) * interval);
      if (witness == tat) {
        return 0L;
      }
      tat = witness;
    }
  }

  /**
   * Returns the cost the cell owes beyond an empty bucket now, rounded up: at most one burst. The
   * word is read before the clock, so this reading is no earlier than the writer's.
   */
  long debt(GcraCell cell) {
    long tat = (long) WORD.getAcquire(cell) & ~FROZEN;
    long beyond = scaledAhead(cell.anchorNanos, tat, clock.nanoTime()) - tolerance;
    return beyond <= 0 ? 0L : ceilDiv(beyond, interval);
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
