package io.sluice;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.detector.OverloadDetector;
import io.sluice.internal.Args;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

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
 * They never allocate, with one exception in a limiter built by {@link #newBuilder()}: its table
 * of permits starts small and grows when the work in flight reaches a new high, so the acquisition
 * that first takes in-flight work past a high-water mark allocates the new slots (its memory and
 * its cost follow the work in flight, not {@code maxLimit}); in steady state nothing is allocated.
 * The release of a permit (or a refund of part of its cost) happens-before any acquisition that
 * is admitted because of the freed room. A permit may be released, sampled or adjusted on a thread
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
 *       {@code false} and is counted in {@link LimiterSnapshot#invalidReleases()}; so does a
 *       corrupted or forged ticket (a permit plus or minus a little, a flipped bit, a ticket of
 *       another limiter), but for a 2^-32 chance each.
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
 * <h2>Metrics</h2> {@link #snapshot()} reads everything a limiter built by {@link #newBuilder()}
 * counts (admitted, released by outcome, rejected by reason and priority, the RTT distribution),
 * from any thread, without slowing its callers; metrics, the overload monitor and the Micrometer
 * binder read limiters through it alone, so a decorator that forwards it is observed as its
 * delegate. {@link Builder#rejectionListener} and {@link Builder#listener} report rejections and
 * limit changes as they happen.
 *
 * <p>A permit that is never released holds its units forever: release in a {@code finally} block
 * or use a guard that does it for you.
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface Limiter {

  /** Returns a builder with the defaults documented on {@link Builder}. */
  static Builder newBuilder() {
    return new Builder();
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
   * {@link Priority#CRITICAL_PLUS} to a share of the limit (see {@link Builder#priorityShares})
   * from the moment a higher level is refused for lack of room until a few windows pass without
   * such contention, and refuses work beyond its share with {@link RejectReason#PRIORITY_SHED}
   * (work that does not fit the limit itself gets {@link RejectReason#LIMIT_REACHED}). Without
   * contention every level may use the whole limit. The check and the increment are one
   * compare-and-set, as for every acquisition: shares never let in-flight units overshoot. While an
   * overload detector of the limiter reads SEVERE (see {@link Builder#detector}), {@link
   * Priority#SHEDDABLE} work is refused at once with {@link RejectReason#PROCESS_OVERLOADED}
   * (monitor-only: counted, then judged as usual). Refusals are counted by reason and priority
   * ({@link LimiterSnapshot#rejected(RejectReason, Priority)}) and reported to the rejection
   * listener with this priority.
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
   * <p>At most once per permit: returns {@code true} if this call took the permit's sample; {@code
   * false} if it was taken before (not counted: a caller may mark the milestone on every chunk) or
   * if the ticket is not a permit this limiter holds (released, a rejection, corrupted or foreign:
   * counted in {@link LimiterSnapshot#invalidSamples()}). Like a release, it reads the clock only
   * for the permits the limiter times (one in {@code 2^k} at high traffic, see {@link
   * Builder#maxSamplingPeriod}); for another, it only marks the sample as taken, as its release
   * would have recorded none. Same thread-safety as {@link #release(long, Outcome)};
   * allocation-free; a limit listener's exception propagates from the call that closed a window,
   * after the sample is recorded.
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
   * <p>Returns {@code true} if the permit now costs {@code newCost}; {@code false} if the ticket is
   * not a permit this limiter holds (counted in {@link LimiterSnapshot#invalidAdjustments()}) or if
   * an extra charge found in-flight units already above the limit (the permit keeps its cost; the
   * caller may carry the difference and try again later). A monitor-only limiter grants every
   * charge. Same thread-safety as {@link #release(long, Outcome)}; allocation-free.
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
   * monitor-only limiter computes its limit as usual and counts every refusal it would make in its
   * {@link #snapshot()} ({@link LimiterSnapshot#rejected(RejectReason, Priority)}, {@link
   * LimiterSnapshot#monitoredRejections()}), reports it to the rejection listener (so metrics and
   * an overload signal see it), and admits the work all the same: its in-flight units may exceed
   * the limit and {@code maxLimit}, up to a ceiling of 2^22 units (the most its permit table can
   * track), beyond which it refuses even monitor-only. Switching to enforcing keeps the permits
   * held valid; as when the limit shrinks, nothing is admitted until in-flight units fall below the
   * limit. The flag is read on the refusal path only: the admission path costs the same in both
   * modes.
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
   * Returns the current Retry-After estimate in nanoseconds, before jitter, reading the clock:
   * rejections advertise about {@code estimate * [1, 1 + jitter)}, where a refusal that reads no
   * clock (the reject path reads it about once a millisecond under a flood) counts a stall as of
   * its last reading.
   */
  long retryAfterNanos();

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

  /**
   * Configures and builds a {@link Limiter}. Every setter checks its argument at once and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #algorithm}</td><td>{@code VegasLimit.newBuilder()}: Vegas with its defaults
   *       </td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
   *   <tr><td>{@link #window}</td><td>100 ms to 1 s, at least 20 samples</td></tr>
   *   <tr><td>{@link #retryAfter}</td><td>10 ms to 60 s</td></tr>
   *   <tr><td>{@link #retryAfterJitter}</td><td>0.5</td></tr>
   *   <tr><td>{@link #maxSamplingPeriod}</td><td>64</td></tr>
   *   <tr><td>{@link #priorityShares}</td>
   *       <td>CRITICAL 0.9, SHEDDABLE_PLUS 0.8, SHEDDABLE 0.7</td></tr>
   *   <tr><td>{@link #monitorOnly}</td><td>false: the limiter refuses</td></tr>
   *   <tr><td>{@link #listener}, {@link #rejectionListener}</td><td>none</td></tr>
   *   <tr><td>{@link #detectors}</td><td>none</td></tr>
   * </table>
   *
   * <p>{@link #build()} may be called more than once: each call builds a limiter of its own, with
   * an algorithm of its own, and changes nothing in the builder. Not thread-safe; build on one
   * thread, then share the limiter.
   */
  final class Builder {
    private static final Duration MIN_WINDOW_FLOOR = Duration.ofMillis(1);
    private static final Duration WINDOW_CEILING = Duration.ofHours(1);
    private static final Duration RETRY_AFTER_CEILING = Duration.ofDays(1);

    private Supplier<? extends LimitAlgorithm> algorithm = VegasLimit.newBuilder();
    NanoClock clock = NanoClock.system();
    final List<LimitListener> listeners = new ArrayList<>();
    RejectionListener rejectionListener;
    long minWindowNanos = Duration.ofMillis(100).toNanos();
    long maxWindowNanos = Duration.ofSeconds(1).toNanos();
    int minWindowSamples = 20;
    long minRetryAfterNanos = Duration.ofMillis(10).toNanos();
    long maxRetryAfterNanos = Duration.ofSeconds(60).toNanos();
    double retryAfterJitter = 0.5;
    int maxSamplingPeriod = 64;
    /** The share of the limit of each level, by ordinal, while shares are in force. */
    final double[] shares = {1.0, 0.9, 0.8, 0.7};
    boolean monitorOnly;
    final List<OverloadDetector> detectors = new ArrayList<>();

    Builder() {}

    /**
     * Sets the factory of the limit algorithm, called once per {@link #build()}: an algorithm keeps
     * per-limiter state, so each limiter gets one of its own. Every algorithm builder is such a
     * factory ({@code algorithm(VegasLimit.newBuilder().queue(2, 4))}), a {@code FixedLimit} is one
     * of itself (it is immutable: {@code algorithm(FixedLimit.of(20))}), and a custom algorithm's
     * constructor is one ({@code algorithm(MyLimit::new)}).
     */
    public Builder algorithm(Supplier<? extends LimitAlgorithm> factory) {
      this.algorithm = Args.notNull("algorithm", factory);
      return this;
    }

    /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
    public Builder clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /**
     * Adds a listener told of every closed window and the limit it set (the hook for limit
     * changes); listeners run in the order added, on the thread that closed the window.
     */
    public Builder listener(LimitListener listener) {
      listeners.add(Args.notNull("listener", listener));
      return this;
    }

    /**
     * Sets the listener told of every rejected acquisition, on the reject path (see
     * {@link RejectionListener}); none by default, which costs the reject path a null check.
     */
    public Builder rejectionListener(RejectionListener listener) {
      this.rejectionListener = Args.notNull("rejectionListener", listener);
      return this;
    }

    /**
     * Sets how windows are cut. A window closes when it is at least {@code min} old and holds at
     * least {@code minSamples} samples (latency samples plus drops), or when it is {@code max} old
     * and holds anything at all. A quiet window is therefore merged with the next period instead of
     * being discarded, and the algorithm keeps adapting at low traffic.
     *
     * @param min in [1 ms, 1 h]
     * @param max in [min, 1 h]
     * @param minSamples in [1, 1000000]
     */
    public Builder window(Duration min, Duration max, int minSamples) {
      long minNanos = Args.nanosInRange("window min", min, MIN_WINDOW_FLOOR, WINDOW_CEILING);
      long maxNanos = Args.nanosInRange("window max", max, min, WINDOW_CEILING);
      this.minWindowSamples = Args.inRange("window minSamples", minSamples, 1, 1_000_000);
      this.minWindowNanos = minNanos;
      this.maxWindowNanos = maxNanos;
      return this;
    }

    /**
     * Sets the range of the Retry-After hint. The advertised hint, jitter included, never falls
     * below {@code min} nor reaches beyond {@code max}.
     *
     * @param min in [0, 1 day]
     * @param max in [min * (1 + jitter), 1 day]
     */
    public Builder retryAfter(Duration min, Duration max) {
      long minNanos = Args.nanosInRange("retryAfter min", min, Duration.ZERO, RETRY_AFTER_CEILING);
      long maxNanos = Args.nanosInRange("retryAfter max", max, min, RETRY_AFTER_CEILING);
      this.minRetryAfterNanos = minNanos;
      this.maxRetryAfterNanos = maxNanos;
      return this;
    }

    /**
     * Sets the jitter: a rejection advertises the estimate times a uniform factor in
     * {@code [1, 1 + jitter)}, so that refused clients do not come back in lock-step.
     *
     * @param jitter in [0, 1]
     */
    public Builder retryAfterJitter(double jitter) {
      this.retryAfterJitter = Args.inRange("retryAfterJitter", jitter, 0.0, 1.0);
      return this;
    }

    /**
     * Sets the largest sampling period: at high traffic the limiter times one request in {@code
     * 2^k} (reading the clock at acquire and release), with {@code 2^k} chosen per window so that a
     * window holds about a thousand latency samples, and never above this period. 1 times every
     * request. Counts and drops are always exact.
     *
     * @param period a power of two in [1, 1024]
     */
    public Builder maxSamplingPeriod(int period) {
      this.maxSamplingPeriod = LimiterBuilderChecks.powerOfTwo("maxSamplingPeriod", period, 1024);
      return this;
    }

    /**
     * Sets the share of the limit each priority level may fill while it is under pressure from a
     * higher level; {@link Priority#CRITICAL_PLUS} may always fill the whole limit. Work of a level
     * is admitted only if the units in flight, its cost included, stay within its share (rounded
     * down); otherwise it is refused with {@link RejectReason#PRIORITY_SHED}, leaving the rest of
     * the limit to the levels above. Shares are in force only under contention: from a refusal of a
     * higher level until a few windows pass in which no higher level was refused or used the room
     * reserved for it. Below that, every level may use the whole limit. See {@link
     * Limiter#tryAcquire(int, Priority)}.
     *
     * @param critical the share of {@link Priority#CRITICAL} (and of work without a priority), in
     *     [sheddablePlus, 1]
     * @param sheddablePlus the share of {@link Priority#SHEDDABLE_PLUS}, in [sheddable, critical]
     * @param sheddable the share of {@link Priority#SHEDDABLE}, in [0, sheddablePlus]
     */
    public Builder priorityShares(double critical, double sheddablePlus, double sheddable) {
      Args.inRange("priorityShares critical", critical, 0.0, 1.0);
      Args.inRange("priorityShares sheddablePlus", sheddablePlus, 0.0, critical);
      Args.inRange("priorityShares sheddable", sheddable, 0.0, sheddablePlus);
      shares[Priority.CRITICAL.ordinal()] = critical;
      shares[Priority.SHEDDABLE_PLUS.ordinal()] = sheddablePlus;
      shares[Priority.SHEDDABLE.ordinal()] = sheddable;
      return this;
    }

    /**
     * Sets whether the limiter starts monitor-only (shadow mode): it computes its limit and counts
     * and reports every refusal it would make, but admits the work; see
     * {@link Limiter#monitorOnly(boolean)}, which switches at run time.
     */
    public Builder monitorOnly(boolean monitorOnly) {
      this.monitorOnly = monitorOnly;
      return this;
    }

    /**
     * Adds overload detectors the limiter reads (see {@link #detector(OverloadDetector)}); the same
     * checks apply to each.
     */
    public Builder detectors(OverloadDetector... detectors) {
      Args.notNull("detectors", detectors);
      for (OverloadDetector detector : detectors) {
        detector(detector);
      }
      return this;
    }

    /**
     * Adds an overload detector. While any of the limiter's detectors reads ELEVATED or SEVERE,
     * each window that closes counts as congested ({@link
     * io.sluice.limit.WindowStats#overloaded()}: the adaptive algorithms back off); while one reads
     * SEVERE, {@link Priority#SHEDDABLE} work is refused at once with {@link
     * RejectReason#PROCESS_OVERLOADED}. The admit path reads each detector's signal (a volatile
     * read) only for SHEDDABLE work. The limiter neither starts nor closes the detector: its owner
     * does, and may share it between limiters.
     *
     * @throws IllegalArgumentException if {@code detector} is null, or already added, or has the
     *     name of one already added
     */
    public Builder detector(OverloadDetector detector) {
      LimiterBuilderChecks.addDetector(detectors, Args.notNull("detector", detector));
      return this;
    }

    /**
     * Builds a limiter; the builder may go on to build more, each with its own algorithm. The
     * algorithm factory is called once, and the algorithm's bounds are read once, here, and
     * checked: its {@code maxLimit()} must lie in {@code [1, LimitAlgorithm.MAX_SUPPORTED_LIMIT]},
     * its {@code minLimit()} in {@code [1, maxLimit()]} and its {@code initialLimit()} in {@code
     * [minLimit(), maxLimit()]}.
     *
     * @throws IllegalArgumentException if the algorithm reports bounds outside those ranges (the
     *     message names the algorithm's class, the method, the value and the range), or if the
     *     Retry-After range cannot hold the jitter
     * @throws IllegalStateException if the factory returns null, or a {@code VegasLimit},
     *     {@code AimdLimit} or {@code GradientLimit} that a limiter already owns (two limiters
     *     would share its state, written by both window closers)
     */
    public Limiter build() {
      LimiterBuilderChecks.retryAfterRange(minRetryAfterNanos, maxRetryAfterNanos,
          retryAfterJitter, RETRY_AFTER_CEILING.toNanos());
      LimitAlgorithm chosen = LimiterBuilderChecks.algorithm(algorithm);
      int max = LimiterBuilderChecks.reported(chosen, "maxLimit()", chosen.maxLimit(), 1,
          LimitAlgorithm.MAX_SUPPORTED_LIMIT);
      int min = LimiterBuilderChecks.reported(chosen, "minLimit()", chosen.minLimit(), 1, max);
      int initial = LimiterBuilderChecks.reported(chosen, "initialLimit()", chosen.initialLimit(),
          min, max);
      LimiterBuilderChecks.claim(chosen);
      return new WindowedLimiter(this, chosen, min, initial, max);
    }
  }
}
