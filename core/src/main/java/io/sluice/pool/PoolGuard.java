package io.sluice.pool;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.ManualClock;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.RejectionListener;
import io.sluice.Ticket;
import io.sluice.internal.Args;
import io.sluice.internal.CumulativeHistogram;
import io.sluice.internal.PoolGuardProbe;
import io.sluice.internal.ProbeAccess;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Guards a resource pool (database connections, HTTP client connections): callers check resources
 * out with a deadline, a {@link Limiter} bounds the concurrent checkouts, and a caller beyond the
 * limit fails at once with an {@link AdmissionRejectedException} that carries the reason and a
 * Retry-After, instead of parking its thread for the pool's own timeout (often 30 s).
 *
 * <pre>{@code
 * PoolGuard<Connection> guard = PoolGuard.newBuilder(adapter).maxCheckouts(20).build();
 * try (Lease<Connection> lease = guard.acquire(Duration.ofMillis(200))) {
 *   query(lease.resource());
 * }
 * }</pre>
 *
 * <h2>Adaptation</h2>
 * A checkout holds one permit from {@code acquire} to the lease's close, so the limiter's latency
 * samples are the hold times. Its algorithm (by default {@link VegasLimit}, at most
 * {@code maxCheckouts}) lowers the limit when hold times grow past their no-load baseline (the
 * database slows down) and on drop signals: a pool that does not hand out a resource within the
 * allowed wait, a borrow that throws, or a lease closed as {@link Outcome#DROPPED}. It raises the
 * limit again while hold times stay low.
 *
 * <h2>Rejections</h2>
 * <ul>
 *   <li>{@code LIMIT_REACHED}: the limit of concurrent checkouts is reached; the pool is not asked.
 *   <li>{@code DEADLINE}: the deadline has passed, or the pool had no resource before it.
 *   <li>{@code QUEUE_TIMEOUT}: the pool had no resource within {@code maxWait}.
 * </ul>
 *
 * Each carries the limiter's Retry-After estimate, is counted by reason, and is reported to the
 * {@link RejectionListener}, if any (with {@link Priority#CRITICAL}).
 *
 * <h2>Metrics</h2>
 * Besides its limiter's, the guard counts refusals by reason, how many admitted callers wait inside
 * the pool's borrow, and how long they wait there (one more clock reading per checkout); read them
 * with {@code io.sluice.metrics.PoolGuardSnapshot}.
 *
 * <p>Thread-safe: any thread may acquire at any time. Acquiring takes no lock; the only wait is
 * inside the adapter's borrow, bounded by the deadline and {@code maxWait}.
 *
 * @param <R> the resource type
 */
public final class PoolGuard<R> {
  static {
    ProbeAccess.registerPoolGuards(guard -> ((PoolGuard<?>) guard).probe);
  }

  final PoolAdapter<R> adapter;
  final Limiter limiter;
  private final NanoClock clock;
  private final long maxWaitNanos;
  private final RejectionListener rejectionListener;
  private final Probe probe = new Probe();

  private PoolGuard(Builder<R> b, Limiter limiter) {
    this.adapter = b.adapter;
    this.limiter = limiter;
    this.clock = b.clock;
    this.maxWaitNanos = b.maxWaitNanos;
    this.rejectionListener = b.rejectionListener;
  }

  /** Returns a builder for a guard over {@code adapter}. */
  public static <R> Builder<R> newBuilder(PoolAdapter<R> adapter) {
    return new Builder<>(adapter);
  }

  /**
   * Checks a resource out, waiting in the pool at most {@code timeout} (and at most maxWait).
   *
   * @param timeout in [0, 1 day]; zero fails at once with DEADLINE
   * @throws AdmissionRejectedException if refused (see the class documentation)
   * @throws InterruptedException if interrupted while the pool waits
   */
  public Lease<R> acquire(Duration timeout) throws InterruptedException {
    long nanos = Args.nanosInRange("timeout", timeout, Duration.ZERO, Duration.ofDays(1));
    return acquireBy(clock.nanoTime() + nanos);
  }

  /**
   * Checks a resource out before {@code deadlineNanos}, a reading of the guard's clock (for example
   * the request's arrival plus the client's timeout).
   *
   * @throws AdmissionRejectedException if refused (see the class documentation)
   * @throws InterruptedException if interrupted while the pool waits
   */
  public Lease<R> acquireBy(long deadlineNanos) throws InterruptedException {
    long start = clock.nanoTime();
    long remaining = deadlineNanos - start;
    if (remaining <= 0) {
      throw refuse(RejectReason.DEADLINE, limiter.retryAfterNanos());
    }
    long permit = limiter.tryAcquire();
    if (Ticket.isRejection(permit)) {
      throw refuse(RejectReason.LIMIT_REACHED, Ticket.retryAfterNanos(permit));
    }
    long wait = Math.min(remaining, maxWaitNanos);
    R resource;
    probe.waiting.getAndIncrement();
    try {
      resource = adapter.borrow(wait);
    } catch (InterruptedException e) {
      limiter.release(permit, Outcome.IGNORED);
      throw e;
    } catch (RuntimeException | Error e) {
      limiter.release(permit, Outcome.DROPPED);
      throw e;
    } finally {
      probe.waiting.getAndDecrement();
      probe.borrowWait.record(clock.nanoTime() - start);
    }
    if (resource == null) {
      limiter.release(permit, Outcome.DROPPED);
      RejectReason reason = wait == remaining ? RejectReason.DEADLINE : RejectReason.QUEUE_TIMEOUT;
      throw refuse(reason, limiter.retryAfterNanos());
    }
    return new Lease<>(this, resource, permit);
  }

  /** Counts and reports a refused checkout; returns the exception to throw. */
  private AdmissionRejectedException refuse(RejectReason reason, long retryAfterNanos) {
    probe.refused[reason.ordinal()].increment();
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

  /** The guard's counts, read by io.sluice.metrics through {@link ProbeAccess}. */
  private static final class Probe implements PoolGuardProbe {
    final LongAdder[] refused = new LongAdder[RejectReason.values().length];
    final AtomicInteger waiting = new AtomicInteger();
    final CumulativeHistogram borrowWait = new CumulativeHistogram();

    Probe() {
      for (int i = 0; i < refused.length; i++) {
        refused[i] = new LongAdder();
      }
    }

    @Override
    public long refused(int reason) {
      return refused[reason].sum();
    }

    @Override
    public int waiting() {
      return waiting.get();
    }

    @Override
    public CumulativeHistogram borrowWait() {
      return borrowWait;
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

    /** Sets the clock of deadlines and of the default limiter; tests pass a {@link ManualClock}. */
    public Builder<R> clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /**
     * Sets the longest wait for the pool once admitted; default 1 s.
     *
     * @param maxWait in [1 ns, 1 h]
     */
    public Builder<R> maxWait(Duration maxWait) {
      this.maxWaitNanos =
          Args.nanosInRange("maxWait", maxWait, Duration.ofNanos(1), Duration.ofHours(1));
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
                .maxLimit(maxCheckouts).initialLimit(maxCheckouts).build())
            .build();
      }
      return new PoolGuard<>(this, chosen);
    }
  }
}
