package io.sluice;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.metrics.LimiterSnapshot;

/**
 * Admits concurrent work up to a limit that a {@link io.sluice.limit.LimitAlgorithm} adapts to what
 * the protected resource can serve at low latency, and rejects the rest at once with a reason and a
 * Retry-After hint.
 *
 * <pre>{@code
 * long ticket = limiter.tryAcquire();
 * if (Ticket.isRejection(ticket)) {
 *   throw Ticket.toException(ticket);          // reason + Retry-After
 * }
 * try {
 *   callBackend();
 *   limiter.release(ticket, Outcome.SUCCESS);
 * } catch (TimeoutException e) {
 *   limiter.release(ticket, Outcome.DROPPED);
 * }
 * }</pre>
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread at any time. The acquisitions
 * ({@link #tryAcquire(int, Priority)} and its shorter forms), {@link #release(long, Outcome)},
 * {@link #sample(long)} and {@link #adjust(long, int)} are lock-free (a failed compare-and-set
 * means another thread made progress), never block, and read the clock only for sampled requests.
 * They never allocate,
 * with one exception in a limiter built by {@link #newBuilder()}: its table of permits starts small
 * and grows when the work in flight reaches a new high, so the acquisition that first takes
 * in-flight work past a high-water mark allocates the new slots (its memory and its cost follow
 * the work in flight, not {@code maxLimit}); in steady state nothing is allocated. The
 * release of a permit (or a refund of part of its cost) happens-before any acquisition that is
 * admitted because of the freed room. A permit may be released, sampled or adjusted on a thread
 * other than the one that acquired it, provided the ticket is handed over with a happens-before
 * edge (any executor or concurrent queue gives one); these calls may even race with each other on
 * one permit: each takes effect once or is refused, and none is lost.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Admitted in-flight units never exceed the limit in force at admission; when the limit
 *       shrinks, nothing is admitted until in-flight work falls below it. Two things can take
 *       them above it: an extra charge of {@link #adjust(long, int)} (by at most one charge) and
 *       {@link #monitorOnly(boolean) monitor-only} mode, which refuses nothing.
 *   <li>A permit is released exactly once; a second release changes nothing, returns
 *       {@code false} and is counted in {@link #invalidReleases()}; so does a corrupted or forged
 *       ticket (a permit plus or minus a little, a flipped bit, a ticket of another limiter), but
 *       for a 2^-32 chance each.
 *   <li>The limit stays within the algorithm's {@code [minLimit, maxLimit]}.
 *   <li>Units are never lost and never negative: at rest, in-flight units are the sum of the
 *       current costs of the permits held, and 0 when none is.
 * </ul>
 *
 * <h2>Decorators</h2>
 * A {@code Limiter} that wraps another must forward every method, the default ones included:
 * a default describes a limiter without that feature (priorities ignored, no milestone samples,
 * no cost adjustment, never monitor-only), so a decorator that does not override one silently
 * turns the feature off for its callers.
 *
 * <h2>Metrics</h2>
 * {@link #snapshot()} reads everything a limiter built by {@link #newBuilder()} counts (admitted,
 * released by outcome, rejected by reason and priority, the RTT distribution), from any thread,
 * without slowing its callers; metrics, the overload monitor and the Micrometer binder read
 * limiters through it alone, so a decorator that forwards it is observed as its delegate.
 * {@link LimiterBuilder#rejectionListener} and {@link LimiterBuilder#listener} report rejections
 * and limit changes as they happen.
 *
 * <p>A permit that is never released holds its units forever: release in a {@code finally} block
 * or use a guard that does it for you.
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface Limiter {

  /** Returns a builder with the defaults documented on {@link LimiterBuilder}. */
  static LimiterBuilder newBuilder() {
    return new LimiterBuilder();
  }

  /**
   * Tries to admit work of cost 1 and priority {@link Priority#CRITICAL}; returns a permit or a
   * rejection (see {@link Ticket}).
   */
  @CheckReturnValue
  long tryAcquire();

  /**
   * Tries to admit work of priority {@link Priority#CRITICAL} that takes {@code cost} units of the
   * limit (long-tail work may weigh more than one); returns a permit or a rejection (see
   * {@link Ticket}).
   *
   * @param cost in {@code [1, maxLimit]}; work whose cost exceeds the current limit is rejected
   * @throws IllegalArgumentException if {@code cost} is out of range
   */
  @CheckReturnValue
  long tryAcquire(int cost);

  /**
   * Tries to admit work of {@code cost} units and the given priority; returns a permit or a
   * rejection (see {@link Ticket}). Under contention the lower levels are shed first, so that
   * critical work keeps flowing: a limiter built by {@link #newBuilder()} holds each level but
   * {@link Priority#CRITICAL_PLUS} to a share of the limit (see
   * {@link LimiterBuilder#priorityShares}) from the moment a higher level is refused for lack of
   * room until a few windows pass without such contention, and refuses work beyond its share with
   * {@link RejectReason#PRIORITY_SHED} (work that does not fit the limit itself gets
   * {@link RejectReason#LIMIT_REACHED}). Without contention every level may use the whole limit.
   * The check and the increment are one compare-and-set, as for every acquisition: shares never
   * let in-flight units overshoot. While an overload detector of the limiter reads SEVERE (see
   * {@link LimiterBuilder#detector}), {@link Priority#SHEDDABLE} work is refused at once with
   * {@link RejectReason#PROCESS_OVERLOADED} (monitor-only: counted, then judged as usual).
   * Refusals are counted by reason and priority
   * ({@link #rejections(RejectReason, Priority)}) and reported to the rejection listener with this
   * priority.
   *
   * <p>The default ignores the priority and calls {@link #tryAcquire(int)}: right for a limiter
   * without levels; a decorator must forward this method.
   *
   * @param cost in {@code [1, maxLimit]}
   * @throws IllegalArgumentException if {@code cost} is out of range or {@code priority} is null
   */
  @CheckReturnValue
  default long tryAcquire(int cost, Priority priority) {
    if (priority == null) {
      throw new IllegalArgumentException("priority must not be null");
    }
    return tryAcquire(cost);
  }

  /**
   * Releases a permit with the outcome of its work. Returns {@code true} if this call released it;
   * {@code false} (and nothing else happens) if the ticket was already released, is a rejection,
   * or is not a permit this limiter holds: a corrupted copy of one, or a ticket of another limiter
   * (each detected but for a 2^-32 chance).
   *
   * @throws IllegalArgumentException if {@code outcome} is null
   */
  boolean release(long permit, Outcome outcome);

  /**
   * Records the permit's latency sample now, at a milestone (first token, first byte), while the
   * permit stays held: the round-trip time from admission to this call is what the limit algorithm
   * learns from, and the later release records no sample of its own (it still counts its outcome;
   * a {@code DROPPED} release still signals a drop). For streaming work that holds its permit far
   * longer than the latency the protected resource should be judged by.
   *
   * <p>At most once per permit: returns {@code true} if this call took the permit's sample;
   * {@code false} if it was taken before (not counted: a caller may mark the milestone on every
   * chunk) or if the ticket is not a permit this limiter holds (released, a rejection, corrupted
   * or foreign: counted in {@link #invalidSamples()}). Like a release, it reads the clock only for
   * the permits the limiter times (one in {@code 2^k} at high traffic, see
   * {@link LimiterBuilder#maxSamplingPeriod}); for another, it only marks the sample as taken,
   * as its release would have recorded none. Same thread-safety as
   * {@link #release(long, Outcome)}; allocation-free; a limit listener's exception propagates from
   * the call that closed a window, after the sample is recorded.
   *
   * <p>The default records nothing and returns {@code false} (the release records the sample, as
   * without milestones); a decorator must forward this method.
   */
  default boolean sample(long permit) {
    return false;
  }

  /**
   * Changes the cost of a held permit to {@code newCost} units, when the true cost of running work
   * becomes known. A refund (a lower cost) frees the units at once, so waiting work may be
   * admitted. An extra charge (a higher cost) takes the units even above the limit, since the work
   * is already running, but only if in-flight units are within the limit before it: so in-flight
   * units exceed the limit by at most one charge, however many threads charge at once. The ticket
   * stays valid and its release frees the adjusted cost; a milestone sample is unaffected.
   *
   * <p>Returns {@code true} if the permit now costs {@code newCost}; {@code false} if the ticket
   * is not a permit this limiter holds (counted in {@link #invalidAdjustments()}) or if an extra
   * charge found in-flight units already above the limit (the permit keeps its cost; the caller
   * may carry the difference and try again later). A monitor-only limiter grants every charge.
   * Same thread-safety as {@link #release(long, Outcome)}; allocation-free.
   *
   * <p>The default adjusts nothing and returns {@code false}; a decorator must forward this method.
   *
   * @param newCost in {@code [1, maxLimit]}
   * @throws IllegalArgumentException if {@code newCost} is out of range
   */
  default boolean adjust(long permit, int newCost) {
    return false;
  }

  /**
   * Returns whether the limiter is monitor-only (shadow mode): it counts and reports the refusals
   * it would make but admits the work. The default is {@code false}.
   */
  default boolean monitorOnly() {
    return false;
  }

  /**
   * Switches between monitor-only (shadow mode) and enforcing, at run time, from any thread. A
   * monitor-only limiter computes its limit as usual and counts every refusal it would make in
   * {@link #rejections()}, {@link #rejections(RejectReason, Priority)} and
   * {@link #monitoredRejections()}, reports it to the rejection listener (so metrics and an
   * overload signal see it), and admits the work all the same: its in-flight units may exceed the
   * limit and {@code maxLimit}, up to a ceiling of 2^22 units (the most its permit table can
   * track), beyond which it refuses even monitor-only. Switching to enforcing keeps the permits
   * held valid; as when the limit shrinks, nothing is admitted until in-flight units fall below
   * the limit. The flag is read on the refusal path only: the admission path costs the same in
   * both modes.
   *
   * <p>The default throws {@link UnsupportedOperationException} when asked to monitor only (a
   * limiter without shadow mode must not pretend to admit everything) and does nothing when asked
   * to enforce; a decorator must forward this method.
   */
  default void monitorOnly(boolean monitorOnly) {
    if (monitorOnly) {
      throw new UnsupportedOperationException(getClass().getName() + " has no monitor-only mode");
    }
  }

  /** Returns the limit in force, in units. */
  int limit();

  /** Returns the units held by admitted work that has not been released. */
  int inFlight();

  /**
   * Returns the current Retry-After estimate in nanoseconds, before jitter: rejections advertise a
   * value in {@code [estimate, estimate * (1 + jitter))}.
   */
  long retryAfterNanos();

  /**
   * Returns how many acquisitions this limiter has rejected, monitor-only refusals included (see
   * {@link #monitoredRejections()}).
   */
  long rejections();

  /**
   * Returns how many acquisitions of {@code priority} this limiter has rejected for
   * {@code reason}, monitor-only refusals included; the counts over every reason and priority add
   * up to {@link #rejections()}. A limiter refuses with {@link RejectReason#LIMIT_REACHED},
   * {@link RejectReason#PRIORITY_SHED} and {@link RejectReason#PROCESS_OVERLOADED} only; other
   * reasons count 0.
   *
   * <p>The default counts every rejection as {@code LIMIT_REACHED} of {@link Priority#CRITICAL},
   * as a limiter without levels reports them; a decorator must forward this method.
   *
   * @throws IllegalArgumentException if {@code reason} or {@code priority} is null
   */
  default long rejections(RejectReason reason, Priority priority) {
    if (reason == null || priority == null) {
      throw new IllegalArgumentException("reason and priority must not be null but were "
          + reason + " and " + priority);
    }
    return reason == RejectReason.LIMIT_REACHED && priority == Priority.CRITICAL
        ? rejections() : 0;
  }

  /**
   * Returns how many of {@link #rejections()} were not enforced because the limiter was
   * monitor-only: the work was admitted. Refusals enforced are the difference. The default is 0.
   */
  default long monitoredRejections() {
    return 0;
  }

  /** Returns how many releases were ignored: second releases, rejections and foreign tickets. */
  long invalidReleases();

  /**
   * Returns how many {@link #sample(long)} calls named no permit held: released, rejections,
   * corrupted or foreign tickets. The default is 0.
   */
  default long invalidSamples() {
    return 0;
  }

  /**
   * Returns how many {@link #adjust(long, int)} calls named no permit held: released, rejections,
   * corrupted or foreign tickets. The default is 0.
   */
  default long invalidAdjustments() {
    return 0;
  }

  /** Returns how many windows have closed, i.e. how many times the algorithm has run. */
  long windowsClosed();

  /**
   * Returns what the limiter is doing now and has done since it was built (see
   * {@link LimiterSnapshot}); from any thread, without blocking its callers; allocates.
   *
   * <p>The default, for test doubles and for limiters that count nothing, is built from
   * {@link #limit()}, {@link #inFlight()} and {@link #retryAfterNanos()}: every count is 0, the
   * algorithm's bounds are 0 (so the limit is never "at its minimum") and the RTT distribution
   * is empty. A limiter built by {@link #newBuilder()} reports exact counts; a decorator must
   * forward this method, or it hides them.
   */
  default LimiterSnapshot snapshot() {
    return LimiterSnapshot.newBuilder()
        .limit(Math.max(0, limit()))
        .inFlight(Math.max(0, inFlight()))
        .retryAfterNanos(Math.max(0L, retryAfterNanos()))
        .build();
  }

  /**
   * Admits work of cost 1 and priority {@link Priority#CRITICAL} as an {@link AutoCloseable}
   * {@link Permit}, for try-with-resources; see {@link #acquire(int, Priority)}.
   *
   * @throws AdmissionRejectedException if the limiter refuses, with its reason and Retry-After
   */
  @CheckReturnValue
  default Permit acquire() {
    return acquire(1, Priority.CRITICAL);
  }

  /**
   * Admits work of {@code cost} units and the given priority as an {@link AutoCloseable}
   * {@link Permit}: {@code try (Limiter.Permit p = limiter.acquire(1, priority)) {...}}. For
   * callers who prefer try-with-resources to zero allocation: an admitted call allocates the
   * permit (one small object); a refused one throws an exception without a stack trace. The
   * primitive {@link #tryAcquire(int, Priority)} stays the allocation-free path.
   *
   * @throws AdmissionRejectedException if the limiter refuses, with its reason and Retry-After
   * @throws IllegalArgumentException as {@link #tryAcquire(int, Priority)}
   */
  @CheckReturnValue
  default Permit acquire(int cost, Priority priority) {
    long ticket = tryAcquire(cost, priority);
    if (Ticket.isRejection(ticket)) {
      throw new AdmissionRejectedException(Ticket.reason(ticket), Ticket.retryAfterNanos(ticket));
    }
    return new Permit(this, ticket);
  }

  /**
   * An admitted unit of work of a {@link Limiter}, released once: with {@link #release(Outcome)}
   * when its outcome is known, else by {@link #close()} as {@link Outcome#IGNORED}. Closing
   * without an outcome reports no capacity signal, because an exception thrown in the block is
   * as likely the caller's bug as an overload; report a timeout or an overload signal with
   * {@code release(Outcome.DROPPED)} in a {@code catch}.
   *
   * <pre>{@code
   * try (Limiter.Permit permit = limiter.acquire()) {
   *   callDownstream();
   *   permit.release(Outcome.SUCCESS);
   * }
   * }</pre>
   *
   * <p>Not thread-safe: use it on the thread that acquired it, or hand it to another with a
   * happens-before edge (as an executor's submission gives). It allocates nothing after it is
   * built.
   */
  final class Permit implements AutoCloseable {
    private final Limiter limiter;
    private final long ticket;
    private boolean released;

    Permit(Limiter limiter, long ticket) {
      this.limiter = limiter;
      this.ticket = ticket;
    }

    /** Returns the primitive permit, for {@link Limiter#sample} and {@link Limiter#adjust}. */
    public long ticket() {
      return ticket;
    }

    /**
     * Releases the permit with the outcome of its work; returns whether this call released it
     * ({@code false}, and nothing happens, once it has been released).
     *
     * @throws IllegalArgumentException if {@code outcome} is null
     */
    public boolean release(Outcome outcome) {
      if (outcome == null) {
        throw new IllegalArgumentException("outcome must not be null");
      }
      if (released) {
        return false;
      }
      released = true;
      limiter.release(ticket, outcome);
      return true;
    }

    /** Releases the permit as {@link Outcome#IGNORED} unless it was released with an outcome. */
    @Override
    public void close() {
      if (!released) {
        release(Outcome.IGNORED);
      }
    }

    /** Returns whether the permit has been released. */
    public boolean isReleased() {
      return released;
    }

    @Override
    public String toString() {
      return "Permit[" + Ticket.toString(ticket) + (released ? ", released]" : "]");
    }
  }
}
