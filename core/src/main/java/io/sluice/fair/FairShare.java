package io.sluice.fair;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.internal.Args;
import java.util.function.ToIntFunction;

/**
 * Shares a {@link Limiter}'s capacity max-min fairly between tenants (API keys, customers) under
 * overload: a tenant that sends 20 times its share gets what the others leave, and no more, while
 * a tenant within its share is refused only when the limit itself is reached. Capacity nobody else
 * wants is lent to whoever asks, and given back as the borrower's work completes.
 *
 * <pre>{@code
 * long ticket = fair.tryAcquire(apiKey, tokens);
 * if (Ticket.isRejection(ticket)) {
 *   // FAIR_SHARE, or the limiter's reason
 *   return refuse(Ticket.reason(ticket), Ticket.retryAfterNanos(ticket));
 * }
 * try {
 *   serve();
 * } finally {
 *   fair.release(ticket, Outcome.SUCCESS);
 * }
 * }</pre>
 *
 * <h2>The rule</h2>
 * Shares are of the limit in force ({@link Limiter#limit()}, adaptive), in units of cost: a
 * request of cost 200 weighs 200 times one of cost 1, so tokens count, not requests. A tenant is
 * <em>active</em> while its admitted work holds units; tenant {@code i}'s share is
 * {@code s = limit * weight(i) / W}, with {@code W} the weight of the active tenants and
 * {@code i} itself. For a request of cost {@code c} from a tenant holding {@code h} units:
 * <ul>
 *   <li>{@code h < s} (within its share): the request goes to the limiter, which admits it if
 *       {@code c} units are free. If it is refused, the units it asked for are <em>claimed</em>:
 *       until its Retry-After has passed twice, tenants over their share leave them free (and a
 *       claimant that holds nothing counts as active), so its retry, or the next request of a
 *       tenant within its share, finds the room however long the borrowers' work runs, and a
 *       large request is not starved by many small ones.
 *   <li>{@code h >= s} (borrowing): admitted only if, afterwards, at least
 *       {@code reserve * limit * min(1, (h + c) / s - 1)} units plus the pending claim stay free;
 *       otherwise refused with {@link io.sluice.RejectReason#FAIR_SHARE} (or by the limiter, if
 *       it has no room for {@code c} units at all). A tenant that borrows little leaves little;
 *       one at twice its share or more leaves the whole reserve. So when room is scarce, the
 *       tenants holding the least relative to their share get it first, and a flood only ever
 *       takes room that the tenants within their share leave.
 * </ul> A tenant alone borrows everything (its share is the whole limit). The reserve ({@link
 * Builder#reserve}, a twentieth of the limit by default) is what a flood leaves idle so that the
 * others' next requests find room at once; with an adaptive limit, the algorithm sees the shorter
 * queue and raises the limit, so the reserve costs concurrency, not throughput.
 *
 * <h2>Retry-After</h2>
 * A {@code FAIR_SHARE} refusal carries the limiter's Retry-After estimate times the number of
 * shares the tenant would hold ({@code (h + c) / s}, at most 16), plus up to 50% jitter: a tenant
 * holding three shares is told to come back three times later than one at its share. A refusal
 * by the limiter is passed on unchanged ({@link io.sluice.RejectReason#LIMIT_REACHED}).
 *
 * <h2>Memory</h2>
 * At most {@link #maxTenants()} tenants are tracked. A tenant that holds nothing is idle and may be
 * forgotten: that changes no decision. Idle tenants are evicted by a sweep when a new tenant finds
 * the table full (at most one sweep at a time and one per 100 ms) or on {@link #cleanUp()}; a
 * tenant holding units is never evicted. A new tenant that finds the table full of active tenants
 * is accounted to one shared overflow tenant of weight 1 (counted in {@link
 * FairShareSnapshot#overflowAdmissions()}), so a flood of distinct keys takes one share between them and grows no
 * memory.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread. For a tracked tenant, the acquisitions, {@link
 * #release(long, Outcome)}, {@link #sample(long)} and {@link #adjust(long, int)} take no lock and
 * allocate nothing: a map lookup (keys should cache their hash, as {@code String} does), a few
 * volatile reads, a compare-and-set on the tenant and one on the gate's permit slot, and the
 * limiter's own lock-free path; while a claim is pending, a request also reads the clock. A new
 * tenant allocates its entry, and the permit table grows (allocating) when the limiter's work in
 * flight reaches a new high, as the limiter's does. The decision reads a snapshot (limit,
 * in-flight, active weight, the tenant's units), so requests admitted at the same instant may
 * together take room that the rule would leave free for one of them; the limit itself is never
 * exceeded but by an extra charge of {@link #adjust}, since the limiter admits every unit. A
 * permit is released exactly once; a second release, a rejection or a foreign ticket returns
 * {@code false}. A permit may be released, sampled or adjusted on another thread than the one
 * that acquired it, handed over with a happens-before edge, and these calls may race on one
 * permit. The release of a permit happens-before any admission it makes room for.
 *
 * <p>Priorities are passed on to the limiter ({@link #tryAcquire(Object, int, Priority)}), which
 * sheds the lower levels first; the gate's shares are the same at every level.
 *
 * @param <K> the tenant key type; keys must implement {@code equals} and {@code hashCode} and
 *     must not be null
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface FairShare<K> {

  /**
   * Returns a builder of a gate in front of {@code limiter}, which keeps the global limit; the
   * defaults are documented on {@link Builder}.
   */
  static Builder<Object> newBuilder(Limiter limiter) {
    return new Builder<>(limiter);
  }

  /** Tries to admit work of cost 1 for {@code tenant}; see {@link #tryAcquire(Object, int)}. */
  @CheckReturnValue
  long tryAcquire(K tenant);

  /**
   * Tries to admit work of {@code cost} units for {@code tenant}; returns a permit, to release
   * once through {@link #release}, or a rejection ({@link io.sluice.Ticket}) with {@code
   * FAIR_SHARE} or the limiter's reason.
   *
   * @param cost in {@code [1, maxLimit]} of the limiter
   * @throws IllegalArgumentException if {@code tenant} is null, {@code cost} is out of range, or
   *     the weigher gives a new tenant a weight out of {@code [1, 1000000]}
   */
  @CheckReturnValue
  long tryAcquire(K tenant, int cost);

  /**
   * Tries to admit work of {@code cost} units for {@code tenant} at {@code priority}, as {@link
   * #tryAcquire(Object, int)} does at {@link Priority#CRITICAL}: the gate's rule is the same at
   * every level, and the priority goes to the limiter ({@link Limiter#tryAcquire(int, Priority)}),
   * which sheds the lower levels first and refuses with its own reason.
   *
   * @throws IllegalArgumentException as {@link #tryAcquire(Object, int)}, or if {@code priority}
   *     is null
   */
  @CheckReturnValue
  long tryAcquire(K tenant, int cost, Priority priority);

  /**
   * Releases a permit with the outcome of its work (passed on to the limiter); returns whether
   * this call released it: {@code false}, and nothing happens, for a second release, a rejection
   * or a ticket this gate did not issue (detected but for a 2^-32 chance).
   *
   * @throws IllegalArgumentException if {@code outcome} is null
   */
  boolean release(long permit, Outcome outcome);

  /**
   * Records the latency sample of a held permit now, at a milestone (first token, first byte),
   * while the permit stays held: {@link Limiter#sample(long)} on the limiter's permit behind it.
   * Returns {@code true} if this call took the permit's sample; {@code false} if it was taken
   * before, or for a released permit, a rejection or a foreign ticket. At most once per permit,
   * however many threads call it; allocation-free.
   */
  boolean sample(long permit);

  /**
   * Changes the cost of a held permit to {@code newCost} units when the true cost of running work
   * becomes known, for the limit ({@link Limiter#adjust(long, int)}: a refund frees units at once,
   * an extra charge may take in-flight units above the limit by at most one charge) and for the
   * tenant's share alike, so the tenant is judged by its true cost from then on and the release
   * frees the adjusted cost. Returns {@code true} if the permit now costs {@code newCost}; {@code
   * false} if the limiter refused an extra charge (nothing changed) or for a released permit, a
   * rejection or a foreign ticket. It may race with the permit's release (the release frees what
   * the limiter and the tenant hold, nothing is lost); two adjustments of one permit at once leave
   * the limit and the tenant each at one of the two costs. Allocation-free.
   *
   * @param newCost in {@code [1, maxLimit]} of the limiter
   * @throws IllegalArgumentException if {@code newCost} is out of range
   */
  boolean adjust(long permit, int newCost);

  /** Returns the limiter that keeps the global limit. */
  Limiter limiter();

  /** Returns the units {@code tenant}'s admitted work holds now; 0 if it is not tracked. */
  long held(K tenant);

  /** Returns the total weight of the tenants whose work holds units now. */
  long activeWeight();

  /** Returns the number of tenants tracked now, in {@code [0, maxTenants]}. */
  int tenants();

  /** Returns the most tenants tracked at once. */
  int maxTenants();

  /**
   * Returns the gate's tenants and counts. This default is built from the live methods above and
   * reports every count it cannot know (refusals, overflow admissions, evictions, invalid
   * releases) as 0: the built gate overrides it with its exact counts, and a decorator forwards it.
   */
  default FairShareSnapshot snapshot() {
    return new FairShareSnapshot(tenants(), maxTenants(), activeWeight(), 0, 0, 0, 0);
  }

  /**
   * Evicts every idle tenant now and returns how many it evicted; 0 at once if another sweep is
   * running. Visits every tenant: for a scheduled clean-up, not for every request.
   */
  int cleanUp();

  /**
   * Configures and builds a {@link FairShare} gate in front of a {@link Limiter}. Every setter
   * checks its argument at once and throws an {@link IllegalArgumentException} naming the
   * parameter, the value and the allowed range.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th><th>range</th></tr>
   *   <tr><td>{@link #weights}</td><td>every tenant weighs 1</td><td>[1, 1000000]</td></tr>
   *   <tr><td>{@link #reserve}</td><td>0.05 of the limit</td><td>[0, 0.5]</td></tr>
   *   <tr><td>{@link #maxTenants}</td><td>10000</td><td>[1, 1048576]</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td><td></td></tr>
   * </table>
   *
   * <p>Not thread-safe; build on one thread, then share the gate.
   *
   * @param <K> the tenant key type
   */
  final class Builder<K> {
    /** The largest weight of a tenant. */
    static final int MAX_WEIGHT = 1_000_000;
    /** The largest table of tenants. */
    static final int MAX_TENANTS = 1 << 20;

    final Limiter limiter;
    NanoClock clock = NanoClock.system();
    ToIntFunction<? super K> weigher;
    double reserve = 0.05;
    int maxTenants = 10_000;

    Builder(Limiter limiter) {
      this.limiter = Args.notNull("limiter", limiter);
    }

    /**
     * Sets each tenant's weight: a tenant of weight 3 is entitled to three times the share of one
     * of weight 1. The function is called once when a tenant is first tracked (again if it was
     * evicted while idle), never on the hot path of a tracked tenant.
     *
     * @param weigher returns weights in [1, 1000000]
     */
    @SuppressWarnings("unchecked")
    public <K1 extends K> Builder<K1> weights(ToIntFunction<? super K1> weigher) {
      Builder<K1> self = (Builder<K1>) this;
      self.weigher = Args.notNull("weigher", weigher);
      return self;
    }

    /**
     * Sets the reserve, as a fraction of the limit: the units a tenant borrowing beyond its share
     * leaves free for the tenants within theirs (all of it from twice its share up, in proportion
     * below). More reserve protects light tenants' bursts better; with a fixed limit, it also idles
     * up to that much capacity while a flood borrows. 0 turns borrowing into a race.
     *
     * @param fraction in [0, 0.5]
     */
    public Builder<K> reserve(double fraction) {
      this.reserve = Args.inRange("reserve", fraction, 0.0, 0.5);
      return this;
    }

    /**
     * Sets how many tenants are tracked at once; beyond that, idle tenants are evicted and new
     * tenants share one overflow entry while every tracked tenant is active.
     *
     * @param max in [1, 1048576]
     */
    public Builder<K> maxTenants(int max) {
      this.maxTenants = Args.inRange("maxTenants", max, 1, MAX_TENANTS);
      return this;
    }

    /** Sets the clock, read for claims and sweeps only; tests pass a {@code ManualClock}. */
    public Builder<K> clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /** Builds the gate; it takes the limit from the limiter at every request. */
    @SuppressWarnings("unchecked")
    public <K1 extends K> FairShare<K1> build() {
      return new FairShareGate<>((Builder<K1>) this);
    }
  }
}
