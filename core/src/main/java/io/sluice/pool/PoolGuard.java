package io.sluice.pool;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.RejectionListener;
import io.sluice.Ticket;
import io.sluice.internal.Args;
import io.sluice.internal.CumulativeHistogram;
import io.sluice.internal.RetryAfterEstimator;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.metrics.PoolGuardSnapshot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Guards a resource pool (database connections, HTTP client connections): callers check resources
 * out with a deadline, a {@link Limiter} bounds the concurrent checkouts, and a caller beyond the
 * limit waits its turn, in order, until its deadline (and at most {@code maxWait}), then fails with
 * an {@link AdmissionRejectedException} that carries the reason and a Retry-After, instead of
 * parking its thread for the pool's own timeout (often 30 s).
 *
 * <pre>{@code
 * PoolGuard<Connection> guard = PoolGuard.newBuilder(adapter).maxCheckouts(20).build();
 * try (Lease<Connection> lease = guard.acquire(Duration.ofMillis(200))) {
 *   query(lease.resource());
 * }
 * }</pre>
 *
 * <h2>Waiting</h2>
 * A caller that finds a permit free (and nobody waiting) takes it on the limiter's lock-free
 * path. Otherwise it joins a first-in-first-out line of at most {@code maxWaiters} callers (1024
 * by default) and parks. Each permit that frees up (a lease closed, the limit raised) is
 * handed to the caller at the head of the line, which then borrows from the pool. A caller whose
 * deadline or {@code maxWait} passes leaves the line with a refusal; a permit handed to it too late
 * goes on to the next caller, so it never holds a permit past its deadline. An interrupted caller
 * leaves with an {@link InterruptedException}. So the guard composes with an executor in front of
 * it: work admitted upstream waits here, within its deadline, for what the pool can serve, rather
 * than failing at once (see {@link io.sluice.executor.FailureClassifier#defaultRule()} for how
 * the executor reads the refusals). {@code maxWaiters(0)} turns waiting off.
 *
 * <h2>Adaptation</h2>
 * A checkout holds one permit from the moment it is granted to the lease's close, so the limiter's
 * latency samples are the hold times. Its algorithm (by default {@link VegasLimit}, at most
 * {@code maxCheckouts}) lowers the limit when hold times grow past their no-load baseline (the
 * database slows down) and on drop signals: a pool that does not hand out a resource within the
 * allowed wait, a borrow that throws, or a lease closed as {@link Outcome#DROPPED}. It raises the
 * limit again while hold times stay low. Time spent waiting in line is not a hold time.
 *
 * <h2>Rejections</h2>
 * <ul>
 *   <li>{@code LIMIT_REACHED}: the limit of concurrent checkouts is reached and {@code maxWaiters}
 *       callers already wait (or waiting is off); the pool is not asked. A limiter shared with
 *       other callers may refuse for its own reason instead ({@code PRIORITY_SHED} while it holds
 *       {@link Priority#CRITICAL}, the guard's priority, to a share): that reason is kept.
 *   <li>{@code DEADLINE}: the deadline has passed, or passed while waiting for a permit or for
 *       the pool.
 *   <li>{@code QUEUE_TIMEOUT}: {@code maxWait} passed (before the deadline) while waiting for a
 *       permit or for the pool; or the pool's own timeout ran out ({@link DataSourceAdapter}: its
 *       exception is the refusal's cause, and the permit is released as {@code DROPPED}).
 * </ul>
 *
 * Each carries a Retry-After from the limiter's estimate for a caller behind those in line (the
 * limiter's turnover time times {@code 1 + callers in line / limit}), jittered once as the
 * limiter jitters its own and within its range, so that callers turned away together do not
 * come back together; each is counted by reason, and is reported to the
 * {@link RejectionListener}, if any (with {@link Priority#CRITICAL}).
 *
 * <h2>Metrics</h2>
 * Besides its limiter's, the guard counts refusals by reason, how many admitted callers wait inside
 * the pool's borrow, and how long they wait there (one more clock reading per checkout); read them
 * with {@link #snapshot()}, which also holds the callers in line ({@link #waiters()}).
 *
 * <p>Thread-safe: any thread may acquire at any time, and a lease may be closed on any thread.
 * Taking a free permit and closing a lease take no lock; a caller waits only in line (parked,
 * bounded by its deadline and {@code maxWait}) and inside the adapter's borrow (bounded likewise).
 * A {@link io.sluice.LimitListener} exception from a release made by the guard propagates from the
 * call that made it (a lease's close; an acquire that handed a permit on), after every permit has
 * been released or handed on; on a refusal path it is added to the refusal as suppressed.
 *
 * @param <R> the resource type
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public final class PoolGuard<R> {
  /** The largest {@code maxWaiters}. */
  public static final int MAX_WAITERS = 1 << 20;

  /** A waiter's state while in line. */
  static final long WAITING = -1L;
  /** A waiter's state once it left the line without a permit. */
  static final long CANCELLED = -2L;
  /** tryAcquirePermit(): the limiter was not asked, because callers wait in line. */
  static final long NONE = Long.MIN_VALUE;

  final PoolAdapter<R> adapter;
  final Limiter limiter;
  private final NanoClock clock;
  private final long maxWaitNanos;
  private final int maxWaiters;
  private final RejectionListener rejectionListener;
  /** Checkouts refused, by reason ordinal. */
  private final LongAdder[] refused = new LongAdder[RejectReason.values().length];
  /** Admitted callers inside the adapter's borrow. */
  private final AtomicInteger borrowing = new AtomicInteger();
  private final CumulativeHistogram borrowWait = new CumulativeHistogram();
  /** The line: callers waiting for a permit, oldest first; may hold cancelled ones for a moment. */
  private final ConcurrentLinkedQueue<Waiter> line = new ConcurrentLinkedQueue<>();
  /** Callers in line that are neither granted nor cancelled; at most maxWaiters. */
  private final AtomicInteger waiters = new AtomicInteger();

  private PoolGuard(Builder<R> b, Limiter limiter) {
    this.adapter = b.adapter;
    this.limiter = limiter;
    this.clock = b.clock;
    this.maxWaitNanos = b.maxWaitNanos;
    this.maxWaiters = b.maxWaiters;
    this.rejectionListener = b.rejectionListener;
    for (int i = 0; i < refused.length; i++) {
      refused[i] = new LongAdder();
    }
  }

  /** Returns a builder for a guard over {@code adapter}. */
  public static <R> Builder<R> newBuilder(PoolAdapter<R> adapter) {
    return new Builder<>(adapter);
  }

  /**
   * Checks a resource out, waiting (in line, then in the pool) at most {@code timeout} and at most
   * maxWait.
   *
   * @param timeout in [0, 1 day]; zero fails at once with DEADLINE
   * @throws AdmissionRejectedException if refused (see the class documentation)
   * @throws InterruptedException if interrupted while waiting
   */
  @CheckReturnValue
  public Lease<R> acquire(Duration timeout) throws InterruptedException {
    long nanos = Args.nanosInRange("timeout", timeout, Duration.ZERO, Duration.ofDays(1));
    return acquireBy(clock.nanoTime() + nanos);
  }

  /**
   * Checks a resource out before {@code deadlineNanos}, a reading of the guard's clock (for example
   * the request's arrival plus the client's timeout), waiting at most maxWait.
   *
   * @throws AdmissionRejectedException if refused (see the class documentation)
   * @throws InterruptedException if interrupted while waiting
   */
  @CheckReturnValue
  public Lease<R> acquireBy(long deadlineNanos) throws InterruptedException {
    long start = clock.nanoTime();
    long remaining = deadlineNanos - start;
    if (remaining <= 0) {
      throw refuse(RejectReason.DEADLINE, retryAfter(NONE));
    }
    long wait = Math.min(remaining, maxWaitNanos);
    boolean byDeadline = remaining <= maxWaitNanos;
    long permit = tryAcquirePermit();
    if (Ticket.isPermit(permit)) {
      return borrow(permit, start, wait, byDeadline);
    }
    ThreadWaiter waiter;
    if (waiters.get() >= maxWaiters // checked first so that a fail-fast guard allocates no waiter
        || !enqueue(waiter = new ThreadWaiter(Thread.currentThread()))) {
      throw refuse(reason(permit), retryAfter(permit));
    }
    permit = waiter.await(this, start, wait, byDeadline);
    long now = clock.nanoTime();
    return borrow(permit, now, wait - (now - start), byDeadline);
  }

  /** Returns how many callers wait in line for a permit now. */
  public int waiters() {
    return waiters.get();
  }

  /**
   * Returns what the guard is doing now and has done since it was built (see
   * {@link PoolGuardSnapshot}); from any thread, without blocking its callers; allocates. Its
   * limiter's snapshot is {@code limiter().snapshot()}.
   */
  public PoolGuardSnapshot snapshot() {
    PoolGuardSnapshot.Builder b = PoolGuardSnapshot.newBuilder();
    for (RejectReason r : RejectReason.values()) {
      b.refused(r, refused[r.ordinal()].sum());
    }
    return b.waiters(Math.max(0, waiters.get()))
        .waiting(Math.max(0, borrowing.get()))
        .borrowWait(borrowWait.snapshot())
        .build();
  }

  /** Returns the longest wait of a checkout (the builder's maxWait), in nanoseconds. */
  long maxWaitNanos() {
    return maxWaitNanos;
  }

  // ------------------------------------------------------------------ the line
  //
  // Callers that find no free permit wait in `line`, a lock-free FIFO. Permits reach them only by
  // hand-off: handOff() takes a permit from the limiter on the waiter's behalf and grants it with a
  // compare-and-set on the waiter's state (WAITING -> the permit); a waiter leaving at its
  // deadline, or on interruption, sets CANCELLED with a compare-and-set from WAITING, so exactly
  // one of grant and cancel wins, and a waiter that loses its cancel owns the permit and must use
  // it or release it (which hands it on).
  //
  // No lost wake-up: handOff() runs after every release of a permit (the only event that frees
  // room or raises the limit) and after every enqueue. A waiter's enqueue either precedes a
  // releaser's look at the line (the releaser then serves it) or follows it, and then also follows
  // the release, so the waiter's own handOff() finds the room. handOff() stops when the line is
  // empty or the limiter refuses; a permit it took for a line that turned out empty (every waiter
  // was served or left meanwhile) is released and the line is looked at again, since a caller may
  // have joined between the two. Each round serves or drops one waiter, or ends: lock-free.
  //
  // A caller takes a free permit directly only while nobody waits (`waiters` is 0), so the line is
  // served in order; a caller racing with the first enqueue may go first once.

  /** Returns a permit if one is free and nobody waits; otherwise a rejection ticket (or NONE). */
  long tryAcquirePermit() {
    if (maxWaiters != 0 && waiters.get() != 0) {
      return NONE;
    }
    return limiter.tryAcquire();
  }

  /**
   * Puts {@code waiter} in line and hands out any permit free now; returns false if the line is
   * full (or waiting is off). A LimitListener exception from a hand-off is rethrown once the
   * waiter is out of line again and owns nothing.
   */
  boolean enqueue(Waiter waiter) {
    int n = waiters.get();
    for (;;) {
      if (n >= maxWaiters) {
        return false;
      }
      if (waiters.compareAndSet(n, n + 1)) {
        break;
      }
      n = waiters.get();
    }
    line.offer(waiter);
    Throwable failure = handOff(null);
    if (failure != null) {
      if (!cancel(waiter)) {
        failure = releaseAndHandOff(waiter.state, Outcome.IGNORED, failure);
      }
      throw unchecked(failure);
    }
    return true;
  }

  /**
   * Takes {@code waiter} out of line if it has not been granted a permit yet; returns false if it
   * has (its state is then the permit, which the caller must use or release).
   */
  boolean cancel(Waiter waiter) {
    if (!waiter.cancel()) {
      return false;
    }
    waiters.getAndDecrement();
    line.remove(waiter); // at once, so that waiters timing out with no release cannot pile up
    return true;
  }

  /** Hands free permits to the callers in line, oldest first; returns {@code failure} or more. */
  private Throwable handOff(Throwable failure) {
    while (line.peek() != null) {
      long permit = limiter.tryAcquire();
      if (Ticket.isRejection(permit)) {
        return failure;
      }
      Waiter w;
      do {
        w = line.poll();
      } while (w != null && !w.grant(permit));
      if (w != null) {
        waiters.getAndDecrement();
        w.granted();
      } else {
        try {
          limiter.release(permit, Outcome.IGNORED);
        } catch (RuntimeException | Error e) {
          failure = add(failure, e);
        }
      }
    }
    return failure;
  }

  /** Releases a checkout's permit and hands the room on; a listener's exception is thrown. */
  void release(long permit, Outcome outcome) {
    Throwable failure = releaseAndHandOff(permit, outcome, null);
    if (failure != null) {
      throw unchecked(failure);
    }
  }

  private Throwable releaseAndHandOff(long permit, Outcome outcome, Throwable failure) {
    try {
      limiter.release(permit, outcome);
    } catch (RuntimeException | Error e) {
      failure = add(failure, e);
    }
    return handOff(failure);
  }

  /**
   * Borrows from the pool for a caller that holds {@code permit}, waiting at most {@code wait}
   * from {@code now}; a caller whose wait is already over releases the permit (handing it on).
   */
  Lease<R> borrow(long permit, long now, long wait, boolean byDeadline)
      throws InterruptedException {
    if (wait <= 0) {
      throw timedOut(byDeadline, releaseAndHandOff(permit, Outcome.IGNORED, null));
    }
    R resource;
    borrowing.getAndIncrement();
    try {
      resource = adapter.borrow(wait);
    } catch (InterruptedException e) {
      throw withSuppressed(e, releaseAndHandOff(permit, Outcome.IGNORED, null));
    } catch (PoolTimedOut e) {
      throw poolTimedOut(e, releaseAndHandOff(permit, Outcome.DROPPED, null));
    } catch (RuntimeException e) {
      throw withSuppressed(e, releaseAndHandOff(permit, Outcome.DROPPED, null));
    } catch (Error e) {
      throw withSuppressed(e, releaseAndHandOff(permit, Outcome.DROPPED, null));
    } finally {
      borrowing.getAndDecrement();
      borrowWait.record(clock.nanoTime() - now);
    }
    if (resource == null) {
      throw timedOut(byDeadline, releaseAndHandOff(permit, Outcome.DROPPED, null));
    }
    return new Lease<>(this, resource, permit);
  }

  /** Counts and returns the refusal of a caller whose wait ran out. */
  AdmissionRejectedException timedOut(boolean byDeadline, Throwable suppressed) {
    AdmissionRejectedException e =
        refuse(byDeadline ? RejectReason.DEADLINE : RejectReason.QUEUE_TIMEOUT, retryAfter(NONE));
    return withSuppressed(e, suppressed);
  }

  /**
   * Counts and returns the refusal of a caller whose borrow ran out of the pool's own time: see
   * {@link PoolTimedOut} for why it is QUEUE_TIMEOUT.
   */
  private AdmissionRejectedException poolTimedOut(PoolTimedOut timeout, Throwable suppressed) {
    AdmissionRejectedException e = refuse(RejectReason.QUEUE_TIMEOUT, retryAfter(NONE));
    e.initCause(timeout.getCause());
    return withSuppressed(e, suppressed);
  }

  /**
   * Returns the Retry-After of a refusal: the hint of the limiter's rejection ticket
   * {@code refusal} if the limiter refused, or for a refusal of the guard's own ({@code NONE}), the
   * limiter's estimate for a caller behind those now in line, jittered once as the limiter
   * jitters its own (see RetryAfterEstimator).
   */
  long retryAfter(long refusal) {
    return refusal == NONE
        ? RetryAfterEstimator.advertise(limiter, waiters.get())
        : Ticket.retryAfterNanos(refusal);
  }

  /**
   * Returns the reason of a refusal after tryAcquirePermit() gave {@code refusal}: the limiter's
   * own (a shared limiter may answer PRIORITY_SHED), or LIMIT_REACHED if it was not asked.
   */
  static RejectReason reason(long refusal) {
    return refusal == NONE ? RejectReason.LIMIT_REACHED : Ticket.reason(refusal);
  }

  private static <T extends Throwable> T withSuppressed(T primary, Throwable suppressed) {
    if (suppressed != null && suppressed != primary) {
      primary.addSuppressed(suppressed);
    }
    return primary;
  }

  private static Throwable add(Throwable failure, Throwable next) {
    return failure == null ? next : withSuppressed(failure, next);
  }

  private static RuntimeException unchecked(Throwable t) {
    if (t instanceof Error) {
      throw (Error) t;
    }
    return (RuntimeException) t;
  }

  /** Counts and reports a refused checkout; returns the exception to throw. */
  AdmissionRejectedException refuse(RejectReason reason, long retryAfterNanos) {
    refused[reason.ordinal()].increment();
    RejectionListener listener = rejectionListener;
    if (listener != null) {
      try {
        listener.onRejected(reason, Priority.CRITICAL, retryAfterNanos);
      } catch (RuntimeException ignored) {
        // Documented: the rejection stands whatever the listener does.
      }
    }
    return new AdmissionRejectedException(reason, retryAfterNanos);
  }

  /** Returns the limiter of concurrent checkouts. */
  public Limiter limiter() {
    return limiter;
  }

  @Override
  public String toString() {
    return "PoolGuard[" + adapter + ", " + limiter + "]";
  }

  /**
   * A caller in line. Its state is WAITING, CANCELLED, or the permit granted to it (zero or more);
   * it leaves WAITING exactly once, by compare-and-set.
   */
  abstract static class Waiter {
    private static final VarHandle STATE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Waiter.class, "state", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    volatile long state = WAITING;

    final boolean grant(long permit) {
      return STATE.compareAndSet(this, WAITING, permit);
    }

    final boolean cancel() {
      return STATE.compareAndSet(this, WAITING, CANCELLED);
    }

    /** Told once, on the granting thread, after the grant: wake the caller. */
    abstract void granted();
  }

  /** A parked caller thread. */
  private static final class ThreadWaiter extends Waiter {
    private final Thread thread;

    ThreadWaiter(Thread thread) {
      this.thread = thread;
    }

    @Override
    void granted() {
      LockSupport.unpark(thread);
    }

    /**
     * Parks until granted, until {@code wait} from {@code start} has passed (then refused), or
     * until interrupted; returns the permit granted.
     */
    long await(PoolGuard<?> guard, long start, long wait, boolean byDeadline)
        throws InterruptedException {
      for (;;) {
        long s = state;
        if (s >= 0) {
          return s;
        }
        boolean interrupted = Thread.interrupted();
        long left = wait - (guard.clock.nanoTime() - start);
        if (interrupted || left <= 0) {
          if (guard.cancel(this)) {
            if (interrupted) {
              throw new InterruptedException();
            }
            throw guard.timedOut(byDeadline, null);
          }
          if (interrupted) {
            InterruptedException e = new InterruptedException();
            throw withSuppressed(e, guard.releaseAndHandOff(state, Outcome.IGNORED, null));
          }
          return state; // granted as the wait ran out: borrow() finds no time left and hands it on
        }
        LockSupport.parkNanos(guard, left);
      }
    }
  }

  /**
   * Configures a {@link PoolGuard}; set either a {@link #limiter} or {@link #maxCheckouts}. Every
   * setter checks its argument and throws an {@link IllegalArgumentException} naming the parameter,
   * the value and the allowed range. Not thread-safe.
   *
   * @param <R> the resource type
   */
  public static final class Builder<R> {
    private final PoolAdapter<R> adapter;
    private Limiter limiter;
    private int maxCheckouts;
    private NanoClock clock = NanoClock.system();
    private long maxWaitNanos = Duration.ofSeconds(1).toNanos();
    private int maxWaiters = 1024;
    private RejectionListener rejectionListener;

    private Builder(PoolAdapter<R> adapter) {
      this.adapter = Args.notNull("adapter", adapter);
    }

    /** Sets the limiter of concurrent checkouts, built on the same clock as {@link #clock}. */
    public Builder<R> limiter(Limiter limiter) {
      this.limiter = Args.notNull("limiter", limiter);
      return this;
    }

    /**
     * Uses the default limiter: {@link VegasLimit} between 1 and {@code maxCheckouts} (usually the
     * pool's size), starting at {@code maxCheckouts}.
     *
     * @param maxCheckouts in [1, {@link LimitAlgorithm#MAX_SUPPORTED_LIMIT}]
     */
    public Builder<R> maxCheckouts(int maxCheckouts) {
      this.maxCheckouts =
          Args.inRange("maxCheckouts", maxCheckouts, 1, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
      return this;
    }

    /** Sets the clock of deadlines and of the default limiter; tests pass a {@code ManualClock}. */
    public Builder<R> clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /**
     * Sets the longest a checkout waits, in line for a permit and then in the pool's borrow
     * together, however far its deadline; default 1 s.
     *
     * @param maxWait in [1 ns, 1 h]
     */
    public Builder<R> maxWait(Duration maxWait) {
      this.maxWaitNanos =
          Args.nanosInRange("maxWait", maxWait, Duration.ofNanos(1), Duration.ofHours(1));
      return this;
    }

    /**
     * Sets how many callers may wait in line for a permit at once; beyond them a caller is refused
     * at once with {@code LIMIT_REACHED}. Zero turns waiting off: every caller beyond the limit is
     * refused at once. Default 1024.
     *
     * @param maxWaiters in [0, {@link PoolGuard#MAX_WAITERS}]
     */
    public Builder<R> maxWaiters(int maxWaiters) {
      this.maxWaiters = Args.inRange("maxWaiters", maxWaiters, 0, MAX_WAITERS);
      return this;
    }

    /** Sets the listener told of every refused checkout (see {@link RejectionListener}); none by default. */
    public Builder<R> rejectionListener(RejectionListener listener) {
      this.rejectionListener = Args.notNull("rejectionListener", listener);
      return this;
    }

    /**
     * Builds the guard.
     *
     * @throws IllegalArgumentException if neither a limiter nor maxCheckouts was set
     */
    public PoolGuard<R> build() {
      Limiter chosen = limiter;
      if (chosen == null) {
        Args.inRange("maxCheckouts (or set a limiter)", maxCheckouts, 1,
            LimitAlgorithm.MAX_SUPPORTED_LIMIT);
        chosen = Limiter.newBuilder()
            .clock(clock)
            .algorithm(VegasLimit.newBuilder()
                .maxLimit(maxCheckouts).initialLimit(maxCheckouts))
            .build();
      }
      return new PoolGuard<>(this, chosen);
    }
  }
}
