package io.sluice.fair;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.limit.LimitAlgorithm;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToIntFunction;

/*
 * The fair-share gate: admission control by tenant in front of a limiter, with no queue.
 *
 * Why a reserve. A fair scheduler with a queue (virtual-token-counter scheduling for LLM serving,
 * Sheng et al., OSDI 2024) picks, whenever capacity frees, the waiting request of the client that
 * has received the least service so far; it bounds the difference in service between two
 * backlogged clients by a constant (about twice the largest cost one scheduling step can add).
 * Here nothing waits: a request is admitted or refused the moment it arrives. A flood arrives
 * first at every freed unit, so if it could take any free unit, a light tenant's next request
 * would always find the limit full. So borrowers never take the last units: they leave
 * reserve * limit * min(1, (h + c) / s - 1) free (h the units the tenant holds, c the request's
 * cost, s its share), which light tenants' requests use at once, and completions refill. How
 * much a borrower leaves grows with how much it borrows relative to its share, so when room is
 * scarce the tenants holding least for their weight get it first: among tenants that all want
 * more, holdings level out (max-min), and a tenant within its share only ever meets the limit.
 *
 * Claims. A request of a tenant within its share that the limiter refuses (the room was smaller
 * than its cost) claims that cost for twice its Retry-After: borrowers also leave the claimed
 * units free, so the room fills up as their work completes and the retry finds it, however long
 * the borrowers' work runs. Without claims, a large request among many small ones (heavy-tailed
 * costs) or a tenant coming back while a borrower holds 30 s streams could be starved for as long
 * as the flood lasts. The claim is one word [deadline:44 | units:20] (the deadline rounded up to
 * 2^20 ns); a new claim raises the units to the larger of the two and extends the deadline, a
 * reader that finds it expired clears the units (so later readers skip the clock). Claims are not
 * consumed by admissions: at most the largest recent claim is held back, for a bounded time. A
 * claimant that holds nothing is not in W, so a tenant alone would see itself within its share
 * (the whole limit) and ignore the claim: the claimant's weight (claimWeight, written before the
 * claim word and read after it) counts in every total while the claim stands, and is dropped
 * when a tenant that held nothing is admitted within its share (it is in W from then on). A
 * request whose cost exceeds the limit can never be admitted, and claims nothing.
 *
 * The bound this gives, to compare with the scheduler's: a tenant within its share is never
 * refused by the gate, so a backlogged tenant below its share gains units at every completion
 * until it reaches its share, except for room taken by other tenants below theirs; borrowers take
 * only room above their threshold. Two backlogged borrowers with equal thresholds race for room
 * (the one arriving first wins), so their holdings per weight may differ by up to about
 * (c / reserve) * (s / limit) units before the one holding more starts leaving more; the gap is in
 * units held at an instant, not in cumulative service, and it is not a hard bound like the
 * scheduler's: admission without a queue cannot order requests that are not there.
 *
 * Active weight. W is the weight of the tenants holding units, kept exactly by the transitions of
 * each tenant's held count through 0 (each transition is attributed to the one add or subtract
 * that made it, so the sum is exact at rest, while a reader may see it between the two steps).
 * A tenant that holds nothing counts its own weight in: it is about to hold units.
 *
 * Concurrency. The decision reads a snapshot (the limit, the limiter's in-flight units, W, the
 * tenant's held units and the claim) and then asks the limiter, which admits atomically; only then
 * are the tenant's units added. Admissions at the same instant may therefore each take room the
 * rule would have left for one of them; the limit is never exceeded. The refusal paths write
 * nothing but a counter, or the claim word.
 *
 * Milestone samples and cost adjustments go to the limiter's permit behind the gate's ticket, read
 * from the slot and validated by reading the slot's word again (a slot freed and claimed anew
 * meanwhile has another generation). An adjustment changes the limiter first (which may refuse an
 * extra charge), then the tenant's units and the slot's recorded cost, ordered so that the tenant
 * never holds less than its busy slots record: an extra charge goes to the tenant before the slot,
 * a refund comes off it after. A release racing with it frees whatever the slot records when its
 * CAS succeeds, and the adjustment undoes its part on the tenant if the slot was freed first.
 */
final class FairShareGate<K> implements FairShare<K> {
  static final long MIN_SWEEP_INTERVAL_NANOS = 100_000_000L;
  /** A claim never outlives this, however long the Retry-After that made it. */
  static final long MAX_CLAIM_NANOS = 10_000_000_000L;
  /** The most shares by which a FAIR_SHARE refusal's Retry-After is multiplied. */
  static final double MAX_RETRY_FACTOR = 16.0;
  static final double RETRY_JITTER = 0.5;

  private static final int CLAIM_UNIT_BITS = 20;
  private static final long CLAIM_UNITS = (1L << CLAIM_UNIT_BITS) - 1;

  private static final VarHandle ACTIVE_WEIGHT;
  private static final VarHandle CLAIM;
  private static final VarHandle CLAIM_WEIGHT;
  private static final VarHandle TENANT_COUNT;
  private static final VarHandle SWEEPING;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      ACTIVE_WEIGHT = lookup.findVarHandle(FairShareGate.class, "activeWeight", long.class);
      CLAIM = lookup.findVarHandle(FairShareGate.class, "claim", long.class);
      CLAIM_WEIGHT = lookup.findVarHandle(FairShareGate.class, "claimWeight", long.class);
      TENANT_COUNT = lookup.findVarHandle(FairShareGate.class, "tenantCount", int.class);
      SWEEPING = lookup.findVarHandle(FairShareGate.class, "sweeping", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Limiter limiter;
  private final NanoClock clock;
  private final ToIntFunction<? super K> weigher;
  private final double reserve;
  private final int maxTenants;
  private final ConcurrentHashMap<K, Tenant> table = new ConcurrentHashMap<>();
  private final Tenant overflow = new Tenant(null, 1);
  private final GatePermits permits = new GatePermits(LimitAlgorithm.MAX_SUPPORTED_LIMIT);
  private final LongAdder fairShareRejections = new LongAdder();
  private final LongAdder overflowAdmissions = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder invalidReleases = new LongAdder();

  /** The weight of the tenants holding units. */
  private volatile long activeWeight;
  /** The pending claim: [deadline rounded up to 2^20 ns | units]; units 0 means none. */
  private volatile long claim;
  /** The weight of the pending claim's claimants that hold nothing; read only while it stands. */
  private volatile long claimWeight;
  /** Entries reserved in the table, at most maxTenants. */
  private volatile int tenantCount;
  private volatile int sweeping;
  /** The clock reading from which a sweep may run. */
  private volatile long nextSweepNanos;

  FairShareGate(FairShare.Builder<K> builder) {
    this.limiter = builder.limiter;
    this.clock = builder.clock;
    this.weigher = builder.weigher;
    this.reserve = builder.reserve;
    this.maxTenants = builder.maxTenants;
    this.nextSweepNanos = clock.nanoTime();
  }

  @Override
  public long tryAcquire(K tenant) {
    return tryAcquire(tenant, 1, Priority.CRITICAL);
  }

  @Override
  public long tryAcquire(K tenant, int cost) {
    return tryAcquire(tenant, cost, Priority.CRITICAL);
  }

  @Override
  public long tryAcquire(K key, int cost, Priority priority) {
    if (priority == null) {
      throw new IllegalArgumentException("priority must not be null");
    }
    if (key == null) {
      throw new IllegalArgumentException("tenant must not be null");
    }
    if (cost < 1) {
      throw new IllegalArgumentException("cost must be in [1, maxLimit] but was " + cost);
    }
    Tenant tenant = tenantFor(key);
    long held = Math.max(0L, tenant.held());
    long weight = tenant.weight;
    long limit = limiter.limit();
    long claimed = claimedUnits();
    // A claimant that holds nothing is not in activeWeight: count it while its claim stands (a
    // tenant that holds nothing may be that claimant, so it counts the larger of the two).
    long claimant = claimed == 0 ? 0 : claimWeight;
    long others = activeWeight;
    long total = Math.max(weight,
        held == 0 ? others + Math.max(weight, claimant) : others + claimant);
    // Within its share: held < limit * weight / total, without dividing.
    boolean withinShare = held * total < limit * weight;
    if (!withinShare) {
      long refusal = refuseBorrower(held + cost, weight, limit, total, cost, claimed);
      if (refusal != 0) {
        return refusal;
      }
    }
    long ticket = limiter.tryAcquire(cost, priority);
    if (Ticket.isRejection(ticket)) {
      // Only a full limit is worth a claim: room held back for a request its priority's share
      // or an overload detector refuses would idle.
      if (withinShare && cost <= limit && Ticket.reason(ticket) == RejectReason.LIMIT_REACHED) {
        claim(cost, held == 0 ? weight : 0, ticket);
      }
      return ticket;
    }
    if (claimant != 0 && held == 0 && withinShare) {
      // A tenant that held nothing is in: count its weight in activeWeight only, from now on.
      CLAIM_WEIGHT.compareAndSet(this, claimant, 0L);
    }
    return admitted(key, tenant, cost, ticket);
  }

  /**
   * Returns 0 if a borrowing request leaves enough room free (or if there is no room at all: the
   * limiter then refuses it for what it is), else a FAIR_SHARE rejection.
   *
   * @param after the units the tenant would hold
   */
  private long refuseBorrower(long after, long weight, long limit, long total, int cost,
      long claimed) {
    long room = limit - limiter.inFlight() - cost;
    if (room < 0) {
      return 0;
    }
    double shares = (double) after * total / ((double) limit * weight);
    double keepFree = reserve * limit * Math.min(1.0, shares - 1.0) + claimed;
    if (room >= keepFree) {
      return 0;
    }
    fairShareRejections.increment();
    double base = limiter.retryAfterNanos() * Math.min(MAX_RETRY_FACTOR, shares);
    double jitter = 1.0 + RETRY_JITTER * ThreadLocalRandom.current().nextDouble();
    long retryAfter = (long) Math.min((double) Ticket.MAX_RETRY_AFTER_NANOS, base * jitter);
    return Ticket.rejection(RejectReason.FAIR_SHARE, retryAfter);
  }

  /** Returns the units of the pending claim, 0 if none; clears an expired one. */
  private long claimedUnits() {
    long word = claim;
    long units = word & CLAIM_UNITS;
    if (units == 0) {
      return 0;
    }
    if (clock.nanoTime() - (word & ~CLAIM_UNITS) >= 0) {
      CLAIM.compareAndSet(this, word, word & ~CLAIM_UNITS);
      return 0;
    }
    return units;
  }

  /**
   * Records that a request of a tenant within its share found no room for {@code cost}; {@code
   * weight} is the tenant's if it holds nothing (so is not in activeWeight), else 0.
   */
  private void claim(int cost, long weight, long rejection) {
    long life = Math.min(MAX_CLAIM_NANOS, 2 * Ticket.retryAfterNanos(rejection));
    long now = clock.nanoTime();
    long deadline = (now + life + CLAIM_UNITS) & ~CLAIM_UNITS;
    long units = Math.min(CLAIM_UNITS, cost);
    long word = claim;
    for (;;) {
      long pending = word & CLAIM_UNITS;
      long until = word & ~CLAIM_UNITS;
      boolean live = pending != 0 && now - until < 0;
      long next = live
          ? (until - deadline > 0 ? until : deadline) | Math.max(pending, units)
          : deadline | units;
      // The weight is written first and read after the word: a reader that sees this claim
      // sees at least this weight (or a larger one of a concurrent claimant).
      claimWeight = live ? Math.max(claimWeight, weight) : weight;
      long witness = (long) CLAIM.compareAndExchange(this, word, next);
      if (witness == word) {
        return;
      }
      word = witness;
    }
  }

  /** Accounts an admitted request to its tenant and issues the gate's ticket. */
  private long admitted(K key, Tenant tenant, int cost, long limiterPermit) {
    Tenant holder = tenant;
    long before = holder.tryAdd(cost);
    while (before == Tenant.FROZEN) {
      // Evicted between the decision and now (it held nothing): account to its successor.
      holder = tenantFor(key);
      before = holder.tryAdd(cost);
    }
    if (before == 0) {
      ACTIVE_WEIGHT.getAndAdd(this, (long) holder.weight);
    }
    long ticket = permits.claim(limiter.inFlight(), limiterPermit, cost, holder);
    if (ticket == GatePermits.NO_SLOT) {
      // Unreachable in practice (see GatePermits): undo, and refuse as the limit would.
      unhold(holder, cost);
      limiter.release(limiterPermit, Outcome.IGNORED);
      return Ticket.rejection(RejectReason.LIMIT_REACHED, limiter.retryAfterNanos());
    }
    return ticket;
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome must not be null");
    }
    for (;;) {
      long word = permits.heldWord(permit);
      if (word == 0) {
        invalidReleases.increment();
        return false;
      }
      long limiterPermit = permits.limiterPermit(permit);
      Tenant holder = permits.tenant(permit);
      // A failed CAS is a release that won (the next read finds another generation) or an
      // adjustment of the cost (the next read finds the new cost, which this release frees).
      if (permits.free(permit, word)) {
        unhold(holder, GatePermits.costOf(word));
        limiter.release(limiterPermit, outcome);
        return true;
      }
    }
  }

  @Override
  public boolean sample(long permit) {
    if (permits.heldWord(permit) == 0) {
      return false;
    }
    long limiterPermit = permits.limiterPermit(permit);
    // Read again: if the slot was freed (and perhaps claimed anew) meanwhile, the limiter permit
    // read may be another request's; unchanged, it is this one's (a stale one the limiter refuses).
    if (permits.heldWord(permit) == 0) {
      return false;
    }
    return limiter.sample(limiterPermit);
  }

  @Override
  public boolean adjust(long permit, int newCost) {
    if (newCost < 1 || newCost > LimitAlgorithm.MAX_SUPPORTED_LIMIT) {
      throw new IllegalArgumentException("newCost must be in [1, maxLimit] but was " + newCost);
    }
    long word = permits.heldWord(permit);
    if (word == 0) {
      return false;
    }
    long limiterPermit = permits.limiterPermit(permit);
    Tenant holder = permits.tenant(permit);
    if (permits.heldWord(permit) == 0 || !limiter.adjust(limiterPermit, newCost)) {
      return false;
    }
    // The limiter counts newCost now; the tenant and the slot follow. The tenant's units never
    // fall below the costs its busy slots record (so never below 0, and a racing release
    // subtracts no more than was added): an extra charge is added to the tenant before the slot
    // records it, a refund taken from the tenant after.
    for (;;) {
      int delta = newCost - GatePermits.costOf(word);
      if (delta == 0) {
        return true;
      }
      if (delta > 0) {
        long before = holder.tryAdd(delta);
        if (before == Tenant.FROZEN) {
          return false; // released and the idle tenant evicted: nothing left to follow
        }
        if (before == 0) {
          ACTIVE_WEIGHT.getAndAdd(this, (long) holder.weight);
        }
        if (permits.recost(permit, word, newCost)) {
          return true;
        }
        unhold(holder, delta);
      } else if (permits.recost(permit, word, newCost)) {
        unhold(holder, -delta);
        return true;
      }
      // Released (the limiter's release freed the adjusted cost), or adjusted by another call.
      word = permits.heldWord(permit);
      if (word == 0) {
        return false;
      }
    }
  }

  private void unhold(Tenant holder, int cost) {
    if (holder.subtract(cost) == 0) {
      ACTIVE_WEIGHT.getAndAdd(this, (long) -holder.weight);
    }
  }

  /** Returns the live entry of {@code key}, inserting one (or the overflow tenant) if needed. */
  private Tenant tenantFor(K key) {
    for (;;) {
      Tenant tenant = table.get(key);
      if (tenant == null) {
        tenant = insert(key);
      }
      if (tenant.held() >= 0) {
        return tenant;
      }
      // Frozen by a sweep that has not removed it yet: help, then look again.
      table.remove(key, tenant);
    }
  }

  /** Publishes a new entry for {@code key}; returns it, a racing entry, or the overflow tenant. */
  private Tenant insert(K key) {
    if (!reserveEntry()) {
      long now = clock.nanoTime();
      if (now - nextSweepNanos < 0 || sweep(now) <= 0 || !reserveEntry()) {
        overflowAdmissions.increment();
        return overflow;
      }
    }
    Tenant fresh;
    try {
      fresh = new Tenant(key, weightOf(key));
    } catch (RuntimeException e) {
      TENANT_COUNT.getAndAdd(this, -1);
      throw e;
    }
    Tenant raced = table.putIfAbsent(key, fresh);
    if (raced != null) {
      TENANT_COUNT.getAndAdd(this, -1);
      return raced;
    }
    return fresh;
  }

  private int weightOf(K key) {
    if (weigher == null) {
      return 1;
    }
    int weight = weigher.applyAsInt(key);
    if (weight < 1 || weight > FairShare.Builder.MAX_WEIGHT) {
      throw new IllegalArgumentException("the weight of tenant " + key + " must be in [1, "
          + FairShare.Builder.MAX_WEIGHT + "] but was " + weight);
    }
    return weight;
  }

  private boolean reserveEntry() {
    int current = tenantCount;
    while (current < maxTenants) {
      int witness = (int) TENANT_COUNT.compareAndExchange(this, current, current + 1);
      if (witness == current) {
        return true;
      }
      current = witness;
    }
    return false;
  }

  /**
   * Evicts the idle tenants and records when the next sweep may run; returns how many it
   * evicted, or -1 if another sweep was running (this call then does nothing).
   */
  private int sweep(long nowNanos) {
    if (!SWEEPING.compareAndSet(this, 0, 1)) {
      return -1;
    }
    try {
      int evicted = 0;
      for (Map.Entry<K, Tenant> entry : table.entrySet()) {
        Tenant tenant = entry.getValue();
        if (tenant.freezeIfIdle() && table.remove(entry.getKey(), tenant)) {
          TENANT_COUNT.getAndAdd(this, -1);
          evictions.increment();
          evicted++;
        }
      }
      nextSweepNanos = nowNanos + MIN_SWEEP_INTERVAL_NANOS;
      return evicted;
    } finally {
      SWEEPING.setRelease(this, 0);
    }
  }

  @Override
  public Limiter limiter() {
    return limiter;
  }

  @Override
  public long held(K tenant) {
    if (tenant == null) {
      throw new IllegalArgumentException("tenant must not be null");
    }
    Tenant entry = table.get(tenant);
    return entry == null ? 0 : Math.max(0L, entry.held());
  }

  @Override
  public long activeWeight() {
    return activeWeight;
  }

  @Override
  public int tenants() {
    return tenantCount;
  }

  @Override
  public int maxTenants() {
    return maxTenants;
  }

  @Override
  public FairShareSnapshot snapshot() {
    return new FairShareSnapshot(tenants(), maxTenants, activeWeight(), fairShareRejections(),
        overflowAdmissions(), evictions(), invalidReleases());
  }

  long fairShareRejections() {
    return fairShareRejections.sum();
  }

  long overflowAdmissions() {
    return overflowAdmissions.sum();
  }

  long evictions() {
    return evictions.sum();
  }

  long invalidReleases() {
    return invalidReleases.sum();
  }

  @Override
  public int cleanUp() {
    return Math.max(0, sweep(clock.nanoTime()));
  }

  /** Returns the units held by the overflow tenant, for tests. */
  long overflowHeld() {
    return overflow.held();
  }

  /** Returns the permit slots allocated, for tests. */
  int permitCapacity() {
    return permits.capacity();
  }

  @Override
  public String toString() {
    return "FairShare[tenants=" + tenantCount + "/" + maxTenants + ", activeWeight=" + activeWeight
        + ", reserve=" + reserve + ", " + limiter + "]";
  }
}
