package io.sluice.rate;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.internal.Args;

/**
 * Per-key quotas for work whose cost is known only once it is done, such as the tokens of an LLM
 * request: admission charges an estimate (prompt tokens plus the most output tokens the request
 * may produce), and {@link #reconcile} corrects it with the actual cost afterwards.
 *
 * <pre>{@code
 * long reservation = quota.tryAcquire(apiKey, promptTokens + maxTokens);
 * if (Ticket.isRejection(reservation)) {
 *   return respond(429, RetryAfter.format(Ticket.retryAfterNanos(reservation)));
 * }
 * int used = 0;
 * try {
 *   used = generate(request);                   // the tokens actually consumed
 * } finally {
 *   quota.reconcile(reservation, used);         // refund or debt, exactly once
 * }
 * }</pre>
 *
 * <p>Each key has a token bucket (the GCRA of {@link RateLimiter}: exact arithmetic, exact
 * Retry-After) in a table of bounded size, as in {@link KeyedRateLimiter}. Reconciliation:
 * <ul>
 *   <li>a <em>refund</em> (actual below the estimate) puts the unused cost back at once, but never
 *       fills the bucket beyond full (cost that has already refilled with time is not given twice);
 *   <li>a <em>debt</em> (actual above the estimate) takes the extra cost at once, even below an
 *       empty bucket: the key's next admissions wait until the debt and their own cost have
 *       refilled, and their Retry-After says exactly how long. A key owes at most one burst; debt
 *       beyond that is forgiven and counted ({@link TokenQuotaSnapshot#forgivenDebt()}).
 * </ul>
 *
 * <h2>Reservations</h2>
 * A permit ticket of this quota is a <em>reservation</em>: it names the key and the estimate, so
 * that {@link #reconcile} needs nothing else and takes effect exactly once; a second
 * reconciliation of the same ticket, a rejection ticket, or a ticket of another quota (detected but
 * for a 2^-32 chance) returns {@code false}, changes nothing, and is counted
 * ({@link TokenQuotaSnapshot#invalidReconciliations()}). Reconcile every reservation (with 0 if
 * the work never ran): an unreconciled one keeps its slot in the table of reservations, which
 * holds at most {@link #maxPending()}; when it is full, admissions are refused with
 * {@link io.sluice.RejectReason#LIMIT_REACHED} and a Retry-After of one second (the quota cannot
 * know when work in flight will end), and the key is charged nothing. The table's memory follows
 * the reservations held, not {@code maxPending}.
 *
 * <p>A key whose bucket has refilled completely is idle and may be evicted while reservations of
 * it are pending (see {@link KeyedRateLimiter} for the bounded table). That changes nothing: a
 * refund to a key no longer tracked has nothing to fill, and a debt tracks the key again (unless
 * the table is full of busy keys: then it is forgiven and counted).
 *
 * <h2>Guarantee</h2>
 * For a key, over any run of time t from a full bucket, the cost consumed (the actual cost of
 * reconciled work plus the estimates of work not yet reconciled) never exceeds
 * {@code burst + t * cost per period} plus the debt that reconciliations reported (actual minus
 * estimate, where positive).
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread; a reservation may be reconciled on a thread other
 * than the one that acquired it, provided the ticket is handed over with a happens-before edge
 * (any executor or concurrent queue gives one). {@link #tryAcquire} and {@link #reconcile} are
 * lock-free: for a tracked key, a {@link java.util.concurrent.ConcurrentHashMap#get}, one
 * compare-and-set on the key's bucket and one on a slot of the reservations; a refusal writes
 * nothing. Neither allocates, except when a new key is tracked and when the table of reservations
 * grows past a new high of reservations held.
 *
 * @param <K> the key type; keys must implement {@code equals} and {@code hashCode} and must not be
 *     null
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface TokenQuota<K> {

  /** Returns a builder; see {@link Builder} for the settings and their defaults. */
  static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Tries to take {@code estimatedCost} from the key's bucket; returns a reservation (a permit
   * ticket, to pass to {@link #reconcile} exactly once) or a rejection: {@code RATE_LIMITED} with
   * the exact time until the estimate fits (any debt included), or {@code LIMIT_REACHED} if
   * {@link #maxPending()} reservations are held.
   *
   * @param estimatedCost in {@code [1, burst]}: an estimate above the burst could never be admitted
   * @throws IllegalArgumentException if {@code key} is null or {@code estimatedCost} is out of range
   */
  @CheckReturnValue
  long tryAcquire(K key, int estimatedCost);

  /**
   * Corrects a reservation with the cost its work actually took: refunds the difference if it is
   * lower than the estimate, charges it as a debt if higher. Returns {@code true} if this call
   * reconciled the reservation; {@code false} (and nothing changes) if it was already reconciled,
   * is a rejection, or is not a reservation of this quota.
   *
   * @param actualCost zero or more (zero refunds the whole estimate: the work never ran)
   * @throws IllegalArgumentException if {@code actualCost} is negative; the reservation stays
   *     pending
   */
  boolean reconcile(long reservation, int actualCost);

  /**
   * Lowers what the key may take now to at most {@code available}; never raises it. For a quota
   * that another party also enforces (a provider's remaining tokens, a shared store), so that this
   * one never admits more than that party would.
   *
   * @param available zero or more; values at or above the burst change nothing
   * @throws IllegalArgumentException if {@code key} is null or {@code available} is negative
   */
  void capAvailable(K key, long available);

  /** Returns the cost the key could take now, in {@code [0, burst]}; the burst if not tracked. */
  long availableCost(K key);

  /** Returns the cost the key owes beyond an empty bucket now (rounded up); 0 if it owes none. */
  long debt(K key);

  /** Returns the configured burst of every key's bucket: the largest estimate admitted. */
  int burst();

  /** Returns the reservations not yet reconciled (exact when no call is in progress). */
  long pending();

  /** Returns the most reservations held at once. */
  int maxPending();

  /** Returns the number of keys tracked now, in {@code [0, maxKeys]}. */
  int keyCount();

  /** Returns the most keys tracked at once. */
  int maxKeys();

  /**
   * Returns the table's keys, the reservations held, and what reconciliation and the bounds cost
   * (refused reconciliations, forgiven debt, refusals for a full table of keys or of
   * reservations): the only way to read those counts. The default is built from this interface's
   * live methods, with every count 0; a quota built by {@link #newBuilder()} reports exact counts,
   * and a decorator must forward this method, or it hides them. Never blocks the quota's callers.
   */
  default TokenQuotaSnapshot snapshot() {
    return new TokenQuotaSnapshot(burst(), maxKeys(), keyCount(), 0L, 0L, maxPending(), pending(),
        0L, 0L, 0L);
  }

  /**
   * Evicts every idle key now and returns how many it evicted; returns 0 at once if another sweep
   * is running. Visits every key: for a scheduled clean-up, not for every request.
   */
  int cleanUp();

  /**
   * Configures and builds a {@link TokenQuota}: a token bucket per key whose admissions are
   * reconciled with their actual cost. Every setter checks its argument at once, and
   * {@link #build()} checks the combination, with an {@link IllegalArgumentException} that names
   * the parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #rate}</td><td>none: required; counts cost (tokens) per period</td></tr>
   *   <tr><td>{@link #burst}</td><td>the tokens of one period, at most 1,000,000</td></tr>
   *   <tr><td>{@link #maxKeys}</td><td>10,000</td></tr>
   *   <tr><td>{@link #maxPending}</td><td>65,536</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link io.sluice.NanoClock#system()}</td></tr>
   * </table>
   *
   * <p>{@link #build()} may be called more than once, each time for a new quota. Not thread-safe;
   * build on one thread, then share the quota.
   */
  final class Builder extends BucketBuilder<Builder> {
    static final int MAX_PENDING = Reservations.MAX_CAPACITY;

    private int maxKeys = 10_000;
    private int maxPending = 1 << 16;

    Builder() {}

    /**
     * Sets the most keys tracked at once; see {@link KeyedRateLimiter} for what happens when they
     * are all in use.
     *
     * @param maxKeys in [1, 16777216]
     */
    public Builder maxKeys(int maxKeys) {
      this.maxKeys = Args.inRange("maxKeys", maxKeys, 1, MAX_KEYS);
      return this;
    }

    /**
     * Sets the most reservations held at once (admitted, not yet reconciled), rounded up to a
     * power of two of at least 256; see {@link TokenQuota} for what happens when they are all
     * held. Memory follows the reservations actually held (16 bytes or so each), not this bound.
     *
     * @param maxPending in [1, 16777216]
     */
    public Builder maxPending(int maxPending) {
      this.maxPending = Args.inRange("maxPending", maxPending, 1, MAX_PENDING);
      return this;
    }

    /**
     * Builds a table of per-key token buckets whose admissions are reconciled with their actual
     * cost; every key starts with a full bucket.
     *
     * @param <K> the key type
     * @throws IllegalArgumentException if no rate was set, or the burst does not fit the rate (a
     *     quota's bucket may also owe one burst, which halves the largest burst some rates allow)
     */
    public <K> TokenQuota<K> build() {
      return new BoundedTokenQuota<>(gcra(2), maxKeys, Reservations.capacityFor(maxPending));
    }
  }
}
