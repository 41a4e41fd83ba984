package io.sluice.redis;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/*
 * What a node keeps about one key: the slice of reserved permits it may grant locally (batching),
 * the last refusal the store gave (so that a key over its quota costs no round trip until its
 * Retry-After has passed), and the reservation in flight, if any.
 *
 * Single flight. `pending` is set by CAS from null, so at most one reservation per key is in flight
 * on a node; other requests wait for it (within their own budget) and then take from the slice it
 * deposited. The reservation's callback (on the store's thread) publishes the new slice or the
 * refusal first and clears `pending` after, so a thread that sees `pending == null` sees them.
 *
 * Bound. A reservation starts only when the slice holds fewer than n permits (n: the initiator's
 * request) and asks for [n, S]; the callback keeps n for the initiator, drains the old slice
 * (getAndSet 0, so that no thread can spend its remainder later) and deposits the other g - n <= S
 * - n. So a node holds at most S - 1 reserved permits of a key at any moment, and each is granted
 * within the lease of the round trip that reserved it or dropped. Dropped: what remained of a
 * drained slice (fewer than n) and an abandoned initiator's n (its tokens were taken in the store,
 * as a timed-out unbatched call's are).
 *
 * Eviction. A state is idle when nothing is pending, its slice is empty or expired, and its refusal
 * has expired: a fresh state decides the same. The sweeper freezes an idle state by CAS of
 * `pending` from null to FROZEN (so no reservation can start on it) and removes it; a thread that
 * meets a frozen state looks the key up again. A frozen state is never thawed (a thread may
 * already have replaced it), so a reservation that starts and completes between the idle check
 * and the freeze leaves its slice on the frozen state: granted by the threads that still hold it,
 * else dropped.
 */
final class KeyState {
  /** The `pending` of a state that has been evicted. */
  static final Reservation FROZEN = new Reservation(null, null, 0);

  private static final VarHandle PENDING;

  static {
    try {
      PENDING = MethodHandles.lookup().findVarHandle(KeyState.class, "pending", Reservation.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  volatile Slice slice;
  volatile Refusal refusal;
  volatile Reservation pending;

  /**
   * Returns the remembered refusal of {@code permits} as a rejection ticket if it still holds at
   * {@code nowNanos}, else 0.
   */
  long refused(int permits, long nowNanos) {
    Refusal r = refusal;
    if (r != null && r.permits == permits && nowNanos - r.untilNanos < 0) {
      return Ticket.rejection(RejectReason.RATE_LIMITED, r.untilNanos - nowNanos);
    }
    return 0L;
  }

  /** Takes {@code permits} from the slice if it is live and holds them. */
  boolean takeLocal(int permits, long nowNanos) {
    Slice s = slice;
    return s != null && nowNanos - s.expiresAtNanos < 0 && s.take(permits);
  }

  /** Returns the permits of the slice that may still be granted at {@code nowNanos}. */
  long localPermits(long nowNanos) {
    Slice s = slice;
    return s == null || nowNanos - s.expiresAtNanos >= 0 ? 0L : Math.max(0L, s.tokens);
  }

  boolean startReservation(Reservation reservation) {
    return PENDING.compareAndSet(this, (Reservation) null, reservation);
  }

  boolean isFrozen() {
    return pending == FROZEN;
  }

  boolean isIdle(long nowNanos) {
    Refusal r = refusal;
    return pending == null && localPermits(nowNanos) == 0
        && (r == null || nowNanos - r.untilNanos >= 0);
  }

  /** Freezes the state if it is idle at {@code nowNanos}; returns whether this call froze it. */
  boolean freezeIfIdle(long nowNanos) {
    return isIdle(nowNanos) && PENDING.compareAndSet(this, (Reservation) null, FROZEN);
  }

  /** Reserved permits a node may grant locally until they expire; immutable but for the count. */
  static final class Slice {
    private static final VarHandle TOKENS;

    static {
      try {
        TOKENS = MethodHandles.lookup().findVarHandle(Slice.class, "tokens", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final long expiresAtNanos;
    volatile long tokens;

    Slice(long expiresAtNanos, long tokens) {
      this.expiresAtNanos = expiresAtNanos;
      this.tokens = tokens;
    }

    /** Takes {@code permits} if the slice holds them; a lost CAS means another thread took some. */
    boolean take(int permits) {
      long t = tokens;
      while (t >= permits) {
        long witness = (long) TOKENS.compareAndExchange(this, t, t - permits);
        if (witness == t) {
          return true;
        }
        t = witness;
      }
      return false;
    }

    /** Empties the slice, so that nobody can grant what remains of it. */
    void drain() {
      TOKENS.getAndSet(this, 0L);
    }
  }

  /** A refusal from the store: {@code permits} cannot be taken before {@code untilNanos}. */
  static final class Refusal {
    final long untilNanos;
    final int permits;

    Refusal(long untilNanos, int permits) {
      this.untilNanos = untilNanos;
      this.permits = permits;
    }
  }

  /**
   * One reservation round trip: the callback of the store's stage, which publishes its result in
   * the state, and the future the initiator and the waiters wait on.
   */
  static final class Reservation implements BiConsumer<Long, Throwable> {
    static final int GRANTED = 1;
    static final int REFUSED = 2;
    static final int FAILED = 3;
    private static final int WAITING = 0;
    private static final int TAKEN = 1;
    private static final int ABANDONED = 2;

    private static final VarHandle CLAIM;

    static {
      try {
        CLAIM = MethodHandles.lookup().findVarHandle(Reservation.class, "claim", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final CompletableFuture<Void> done = new CompletableFuture<>();
    private final StoreRateLimiter owner;
    private final KeyState state;
    final int permits;
    /** GRANTED, REFUSED or FAILED; written before `claim` and `done`. */
    int result;
    /** For REFUSED: until when. */
    long refusedUntilNanos;
    private volatile int claim;

    Reservation(StoreRateLimiter owner, KeyState state, int permits) {
      this.owner = owner;
      this.state = state;
      this.permits = permits;
    }

    /** The initiator gives up (its budget is spent); false if the reply has already been taken. */
    boolean abandon() {
      return CLAIM.compareAndSet(this, WAITING, ABANDONED);
    }

    @Override
    public void accept(Long reply, Throwable failure) {
      long now = owner.clock.nanoTime();
      int outcome;
      if (failure == null && reply != null && reply >= permits && reply <= owner.slice) {
        Slice old = state.slice;
        state.slice = new Slice(now + owner.leaseNanos, reply - permits);
        if (old != null) {
          old.drain();
        }
        state.refusal = null;
        outcome = GRANTED;
      } else if (failure == null && reply != null && reply < 0) {
        refusedUntilNanos = now - reply;
        state.refusal = new Refusal(refusedUntilNanos, permits);
        outcome = REFUSED;
      } else {
        outcome = FAILED;
      }
      result = outcome;
      CLAIM.compareAndSet(this, WAITING, TAKEN);
      state.pending = null;
      done.complete(null);
    }
  }
}
