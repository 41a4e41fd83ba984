package io.sluice.breaker;

import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.internal.PackedWindow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The breaker: one state word changed only by compare-and-set, a PackedWindow of (calls,
 * failures, slow calls) for the closed state, and permits that carry everything a completion needs,
 * so there is no per-call state and nothing to allocate.
 *
 * Count windows: `countGeneration` names the bucket that completions add to; a completion that
 * finds that bucket full (callsPerBucket calls) moves it on with a CAS first. So a completion
 * costs a volatile read of the bucket and one CAS on it, not a shared sequence counter as well,
 * and the window always includes the newest bucket; the price is that a bucket may take a few
 * calls more than its share while threads race at its boundary.
 *
 * State word: [payload:46][epoch:16][state:2]. Every transition increments the epoch (mod 2^16),
 * so a permit, which records the epoch it was issued in, is recognised as stale after any change.
 *   CLOSED:    no payload. The window buckets are tagged with the low 8 bits of the epoch, so
 *              a new closed state starts with an empty window without clearing anything.
 *   OPEN:      payload = the end of the open time, in units of 2^16 ns (65.5 us) since the
 *              breaker's origin, rounded up (146 years of range). Retry-After = end - now, exact
 *              to the unit and never early.
 *   HALF_OPEN: payload = [successes:5][done:20][issued:5]. `issued` counts probes admitted in
 *              this round (CAS below the limit, so never more than `probes`, also under races);
 *              probe i owns bit i of `done`, which its first completion sets, so a second
 *              completion of the same probe is recognised and ignored.
 *
 * Permit: [epoch:16][probe:1][probe index:5][start:41], start in units of 1024 ns since the origin
 * modulo 2^41 (durations up to 26 days are measured exactly to the unit). Positive, as tickets
 * require.
 *
 * Transitions (each one CAS from the exact word read, so exactly one thread makes each one):
 *   CLOSED -> OPEN       a completion records a failed or slow call and the window's rates,
 *                        with at least minimumCalls calls, reach a threshold;
 *   OPEN -> HALF_OPEN    an acquire finds the open time over; it takes the first probe itself;
 *   HALF_OPEN -> OPEN    a probe fails or is slow, or an acquire finds every probe out and
 *                        overdue (see below);
 *   HALF_OPEN -> CLOSED  every probe is done and at least one succeeded;
 *   HALF_OPEN -> HALF_OPEN (new epoch) every probe is done and all were ignored;
 *   any -> OPEN          a refusal with Retry-After (onRefused) extends or starts the open time.
 * A thread that loses a CAS re-reads the word and decides again, so progress is lock-free.
 *
 * Overdue probes: a probe that never completes would keep the breaker half-open forever. The first
 * acquire refused because every probe is out stamps `probesOutSince` with the round's epoch and
 * the time ([stamped:1][epoch:16][start:47], start in 1024 ns units); an acquire that finds the
 * stamp of the current round at least the slow-call threshold old reopens the breaker. Every probe
 * was issued before the stamp, so each one still out is already slow, and a slow probe reopens
 * the breaker when it completes: this only does it without waiting for the completion. A stamp of
 * another epoch (a new round, or a refusal that read an old word) is replaced by CAS; that can
 * only move the start later, so the rule never reopens early.
 *
 * The word is read before the clock, so a reader's `now` is never earlier than the reading of the
 * thread that published the word: an open deadline is never judged against an older clock. (In
 * the closed state, the hot one, the word is only read, so this order costs no contention.)
 */
final class PackedCircuitBreaker implements CircuitBreaker {
  private static final VarHandle STATE;
  private static final VarHandle COUNT_GENERATION;
  private static final VarHandle PROBES_OUT_SINCE;

  private static final int CLOSED = 0;
  private static final int OPEN = 1;
  private static final int HALF_OPEN = 2;
  private static final long STATE_MASK = 3;
  private static final int EPOCH_SHIFT = 2;
  private static final long EPOCH_MASK = 0xFFFF;
  private static final int PAYLOAD_SHIFT = 18;
  private static final int OPEN_UNIT_SHIFT = 16;
  private static final long ISSUED_MASK = 0x1F;
  private static final int DONE_SHIFT = 5;
  private static final long DONE_MASK = 0xF_FFFF;
  private static final int SUCCESS_SHIFT = 25;

  private static final int PERMIT_EPOCH_SHIFT = 47;
  private static final long PROBE = 1L << 46;
  private static final int INDEX_SHIFT = 41;
  private static final int START_UNIT_SHIFT = 10;
  private static final long START_MASK = (1L << 41) - 1;
  private static final long STAMPED = 1L << 63;
  private static final int STAMP_EPOCH_SHIFT = 47;
  private static final long STAMP_START_MASK = (1L << 47) - 1;

  private static final State[] STATES = State.values();
  private static final int SUCCESS = 0;
  private static final int FAILURE = 1;
  private static final int IGNORED = 2;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(PackedCircuitBreaker.class, "state", long.class);
      COUNT_GENERATION = lookup.findVarHandle(PackedCircuitBreaker.class, "countGeneration",
          long.class);
      PROBES_OUT_SINCE = lookup.findVarHandle(PackedCircuitBreaker.class, "probesOutSince",
          long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final NanoClock clock;
  private final long origin;
  private final PackedWindow window;
  /** Calls per bucket of a count window; 0 for a time window. */
  private final long callsPerBucket;
  /** Nanoseconds per bucket of a time window; 0 for a count window. */
  private final long nanosPerBucket;
  private final int minimumCalls;
  private final double failureRateThreshold;
  private final double slowCallRateThreshold;
  private final long slowCallUnits;
  private final long waitInOpenNanos;
  private final int probes;
  private final long maxRetryAfterNanos;
  private final long halfOpenRetryAfterNanos;

  private volatile long state;
  /** The bucket a count window adds to; the call that fills it moves it on. */
  private volatile long countGeneration;
  /** When an acquire first found every probe of a round out; see the class comment. */
  private volatile long probesOutSince;

  PackedCircuitBreaker(CircuitBreaker.Builder builder) {
    this.clock = builder.clock;
    this.origin = clock.nanoTime();
    if (builder.windowCalls > 0) {
      int buckets = Math.min(builder.windowCalls, CircuitBreaker.Builder.BUCKETS);
      this.window = new PackedWindow(buckets);
      this.callsPerBucket = (builder.windowCalls + buckets - 1) / buckets;
      this.nanosPerBucket = 0;
    } else {
      this.window = new PackedWindow(CircuitBreaker.Builder.BUCKETS);
      this.callsPerBucket = 0;
      this.nanosPerBucket = Math.max(1, builder.windowNanos / CircuitBreaker.Builder.BUCKETS);
    }
    this.minimumCalls = builder.minimumCalls;
    this.failureRateThreshold = builder.failureRateThreshold;
    this.slowCallRateThreshold = builder.slowCallRateThreshold;
    this.slowCallUnits = builder.slowCallNanos >>> START_UNIT_SHIFT;
    this.waitInOpenNanos = builder.waitInOpenNanos;
    this.probes = builder.probes;
    this.maxRetryAfterNanos = builder.maxRetryAfterNanos;
    this.halfOpenRetryAfterNanos = Math.min(builder.slowCallNanos, builder.waitInOpenNanos);
  }

  @Override
  public long tryAcquire() {
    long s = state;
    for (;;) {
      long now = clock.nanoTime() - origin;
      int st = (int) (s & STATE_MASK);
      if (st == CLOSED) {
        return permit(epoch(s), 0, now);
      }
      if (st == OPEN) {
        long remaining = openUntil(s) - now;
        if (remaining > 0) {
          return Ticket.rejection(RejectReason.CIRCUIT_OPEN, remaining);
        }
        long next = word(HALF_OPEN, epoch(s) + 1, 1);
        long witness = (long) STATE.compareAndExchange(this, s, next);
        if (witness == s) {
          return permit(epoch(next), PROBE, now);
        }
        s = witness;
        continue;
      }
      long issued = payload(s) & ISSUED_MASK;
      if (issued >= probes) {
        if (!probesOverdue(s, now)) {
          return Ticket.rejection(RejectReason.CIRCUIT_OPEN, halfOpenRetryAfterNanos);
        }
        long next = word(OPEN, epoch(s) + 1, openUnits(now + waitInOpenNanos));
        long witness = (long) STATE.compareAndExchange(this, s, next);
        if (witness == s) {
          return Ticket.rejection(RejectReason.CIRCUIT_OPEN, openUntil(next) - now);
        }
        s = witness;
        continue;
      }
      long witness = (long) STATE.compareAndExchange(this, s, s + (1L << PAYLOAD_SHIFT));
      if (witness == s) {
        return permit(epoch(s), PROBE | issued << INDEX_SHIFT, now);
      }
      s = witness;
    }
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome must not be null");
    }
    int kind = outcome == Outcome.SUCCESS ? SUCCESS
        : outcome == Outcome.DROPPED ? FAILURE : IGNORED;
    return complete(permit, kind, -1);
  }

  @Override
  public boolean onRefused(long permit, long retryAfterNanos) {
    return complete(permit, FAILURE, retryAfterNanos);
  }

  private boolean complete(long permit, int outcome, long retryAfterNanos) {
    if (permit < 0) {
      return false;
    }
    long s = state;
    long now = clock.nanoTime() - origin;
    boolean slow = outcome != IGNORED
        && ((now >>> START_UNIT_SHIFT) - permit & START_MASK) >= slowCallUnits;
    boolean counted = false;
    if (epoch(s) == permit >>> PERMIT_EPOCH_SHIFT) {
      int st = (int) (s & STATE_MASK);
      if (st == CLOSED) {
        counted = outcome == IGNORED || recordClosed(s, outcome == FAILURE, slow, now);
      } else if (st == HALF_OPEN && (permit & PROBE) != 0) {
        counted = recordProbe(s, permit, outcome == IGNORED ? IGNORED
            : outcome == FAILURE || slow ? FAILURE : SUCCESS, now);
      }
    }
    if (retryAfterNanos > 0 && maxRetryAfterNanos > 0) {
      openUntilAtLeast(now + Math.min(retryAfterNanos, maxRetryAfterNanos));
    }
    return counted;
  }

  /**
   * Whether every probe of the half-open round in {@code s}, all of them out, is overdue: an
   * acquire found them all out at least the slow-call threshold ago. Stamps the round on its
   * first refusal.
   */
  private boolean probesOverdue(long s, long now) {
    long stamp = probesOutSince;
    long nowUnits = now >>> START_UNIT_SHIFT;
    long mine = STAMPED | (long) epoch(s) << STAMP_EPOCH_SHIFT;
    if ((stamp & ~STAMP_START_MASK) != mine) {
      PROBES_OUT_SINCE.compareAndSet(this, stamp, mine | nowUnits & STAMP_START_MASK);
      return false;
    }
    return (nowUnits - stamp & STAMP_START_MASK) >= slowCallUnits;
  }

  /** Adds a closed-state call to the window and opens the breaker if a threshold is reached. */
  private boolean recordClosed(long s, boolean failed, boolean slow, long now) {
    int epoch = epoch(s);
    long generation;
    if (callsPerBucket != 0) {
      generation = countGeneration;
      if (window.count0(epoch, generation) >= callsPerBucket) {
        // The bucket is full: move on (a lost CAS means another thread already did) and re-read.
        COUNT_GENERATION.compareAndSet(this, generation, generation + 1);
        generation = countGeneration;
      }
    } else {
      generation = Math.max(0L, now) / nanosPerBucket;
    }
    window.add(epoch, generation, 1, failed ? 1 : 0, slow ? 1 : 0);
    if (failed || slow) {
      long sums = window.sum(epoch, generation);
      int total = PackedWindow.sum0(sums);
      if (total >= minimumCalls
          && (PackedWindow.sum1(sums) * 100.0 >= failureRateThreshold * total
              || PackedWindow.sum2(sums) * 100.0 >= slowCallRateThreshold * total)) {
        // Fails only if another thread changed the state first; then there is nothing to do.
        STATE.compareAndSet(this, s, word(OPEN, epoch + 1, openUnits(now + waitInOpenNanos)));
      }
    }
    return true;
  }

  /**
   * Records a probe's result; returns false if the round is over, the probe was done already, or
   * the permit names a probe this round has not issued (a forged or corrupted ticket: counting it
   * would mark a slot done that a real probe still holds, or, past the 20 slots, spill into the
   * success count).
   */
  private boolean recordProbe(long s, long permit, int result, long now) {
    long index = permit >>> INDEX_SHIFT & ISSUED_MASK;
    long bit = 1L << index;
    for (;;) {
      long payload = payload(s);
      long done = payload >>> DONE_SHIFT & DONE_MASK;
      if (index >= (payload & ISSUED_MASK) || (done & bit) != 0) {
        return false;
      }
      long successes = payload >>> SUCCESS_SHIFT;
      int epoch = epoch(s);
      long next;
      if (result == FAILURE) {
        next = word(OPEN, epoch + 1, openUnits(now + waitInOpenNanos));
      } else {
        done |= bit;
        if (result == SUCCESS) {
          successes++;
        }
        if (Long.bitCount(done) < probes) {
          next = s + ((bit << DONE_SHIFT) + (result == SUCCESS ? 1L << SUCCESS_SHIFT : 0)
              << PAYLOAD_SHIFT);
        } else if (successes > 0) {
          next = word(CLOSED, epoch + 1, 0);
        } else {
          next = word(HALF_OPEN, epoch + 1, 0);
        }
      }
      long witness = (long) STATE.compareAndExchange(this, s, next);
      if (witness == s) {
        return true;
      }
      if (epoch(witness) != epoch) {
        return false;
      }
      s = witness;
    }
  }

  /** Opens the breaker, or keeps it open, until at least {@code untilNanos} since the origin. */
  private void openUntilAtLeast(long untilNanos) {
    long units = openUnits(untilNanos);
    long s = state;
    for (;;) {
      boolean open = (s & STATE_MASK) == OPEN;
      if (open && payload(s) >= units) {
        return;
      }
      long next = word(OPEN, open ? epoch(s) : epoch(s) + 1, units);
      long witness = (long) STATE.compareAndExchange(this, s, next);
      if (witness == s) {
        return;
      }
      s = witness;
    }
  }

  @Override
  public State state() {
    return STATES[(int) (state & STATE_MASK)];
  }

  @Override
  public long retryAfterNanos() {
    long s = state;
    long now = clock.nanoTime() - origin;
    return retryAfterNanos(s, now);
  }

  private long retryAfterNanos(long s, long now) {
    int st = (int) (s & STATE_MASK);
    if (st == OPEN) {
      return Math.max(0L, openUntil(s) - now);
    }
    if (st == HALF_OPEN && (payload(s) & ISSUED_MASK) >= probes) {
      return halfOpenRetryAfterNanos;
    }
    return 0L;
  }

  @Override
  public CircuitBreakerSnapshot snapshot() {
    long s = state;
    long now = clock.nanoTime() - origin;
    int st = (int) (s & STATE_MASK);
    long sums = 0;
    if (st == CLOSED) {
      long generation = callsPerBucket != 0 ? countGeneration : Math.max(0L, now) / nanosPerBucket;
      sums = window.sum(epoch(s), generation);
    }
    return new CircuitBreakerSnapshot(STATES[st], PackedWindow.sum0(sums),
        PackedWindow.sum1(sums), PackedWindow.sum2(sums), retryAfterNanos(s, now));
  }

  private static long permit(int epoch, long probeBits, long now) {
    return (long) epoch << PERMIT_EPOCH_SHIFT | probeBits | (now >>> START_UNIT_SHIFT) & START_MASK;
  }

  private static long word(int state, int epoch, long payload) {
    return payload << PAYLOAD_SHIFT | (epoch & EPOCH_MASK) << EPOCH_SHIFT | state;
  }

  private static int epoch(long s) {
    return (int) (s >>> EPOCH_SHIFT & EPOCH_MASK);
  }

  private static long payload(long s) {
    return s >>> PAYLOAD_SHIFT;
  }

  private static long openUnits(long nanos) {
    return (nanos + (1L << OPEN_UNIT_SHIFT) - 1) >>> OPEN_UNIT_SHIFT;
  }

  private static long openUntil(long s) {
    return payload(s) << OPEN_UNIT_SHIFT;
  }

  @Override
  public String toString() {
    return "CircuitBreaker[" + snapshot() + "]";
  }
}
