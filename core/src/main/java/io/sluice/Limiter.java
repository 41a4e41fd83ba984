package io.sluice;

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
 * All methods may be called from any thread at any time. {@link #tryAcquire(int)} and
 * {@link #release(long, Outcome)} are lock-free (a failed compare-and-set means another thread
 * made progress), never block, and read the clock only for sampled requests. They never allocate,
 * with one exception in a limiter built by {@link #newBuilder()}: its table of permits starts small
 * and grows when the work in flight reaches a new high, so the acquisition that first takes
 * in-flight work past a high-water mark allocates the new slots (its memory and its cost follow
 * the work in flight, not {@code maxLimit}); in steady state nothing is allocated. The
 * release of a permit happens-before any acquisition that is admitted because of the freed room.
 * A permit may be released on a thread other than the one that acquired it, provided the ticket is
 * handed over with a happens-before edge (any executor or concurrent queue gives one).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Admitted in-flight units never exceed the limit in force at admission; when the limit
 *       shrinks, nothing is admitted until in-flight work falls below it.
 *   <li>A permit is released exactly once; a second release changes nothing, returns
 *       {@code false} and is counted in {@link #invalidReleases()}; so does a corrupted or forged
 *       ticket (a permit plus or minus a little, a flipped bit, a ticket of another limiter), but
 *       for a 2^-32 chance each.
 *   <li>The limit stays within the algorithm's {@code [minLimit, maxLimit]}.
 * </ul>
 *
 * <h2>Metrics</h2>
 * {@code io.sluice.metrics.LimiterSnapshot.of(limiter)} reads everything a limiter built by
 * {@link #newBuilder()} counts (admitted, released by outcome, rejected, the RTT distribution),
 * from any thread, without slowing its callers; {@link LimiterBuilder#rejectionListener} and
 * {@link LimiterBuilder#listener} report rejections and limit changes as they happen.
 *
 * <p>A permit that is never released holds its units forever: release in a {@code finally} block
 * or use a guard that does it for you.
 */
public interface Limiter {

  /** Returns a builder with the defaults documented on {@link LimiterBuilder}. */
  static LimiterBuilder newBuilder() {
    return new LimiterBuilder();
  }

  /** Tries to admit work of cost 1; returns a permit or a rejection (see {@link Ticket}). */
  long tryAcquire();

  /**
   * Tries to admit work that takes {@code cost} units of the limit (long-tail work may weigh more
   * than one); returns a permit or a rejection (see {@link Ticket}).
   *
   * @param cost in {@code [1, maxLimit]}; work whose cost exceeds the current limit is rejected
   * @throws IllegalArgumentException if {@code cost} is out of range
   */
  long tryAcquire(int cost);

  /**
   * Releases a permit with the outcome of its work. Returns {@code true} if this call released it;
   * {@code false} (and nothing else happens) if the ticket was already released, is a rejection,
   * or is not a permit this limiter holds: a corrupted copy of one, or a ticket of another limiter
   * (each detected but for a 2^-32 chance).
   *
   * @throws IllegalArgumentException if {@code outcome} is null
   */
  boolean release(long permit, Outcome outcome);

  /** Returns the limit in force, in units. */
  int limit();

  /** Returns the units held by admitted work that has not been released. */
  int inFlight();

  /**
   * Returns the current Retry-After estimate in nanoseconds, before jitter: rejections advertise a
   * value in {@code [estimate, estimate * (1 + jitter))}.
   */
  long retryAfterNanos();

  /** Returns how many acquisitions this limiter has rejected. */
  long rejections();

  /** Returns how many releases were ignored: second releases, rejections and foreign tickets. */
  long invalidReleases();

  /** Returns how many windows have closed, i.e. how many times the algorithm has run. */
  long windowsClosed();
}
