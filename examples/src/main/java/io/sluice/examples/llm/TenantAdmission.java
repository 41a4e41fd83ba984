package io.sluice.examples.llm;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.fair.FairShare;
import io.sluice.metrics.LimiterSnapshot;

/*
 * FairShare in front of a limiter, with the two things the gateway needs that FairShare does not
 * offer (yet): the request's priority, and the limiter's own permit behind the gate's ticket.
 *
 * FairShare calls its limiter's tryAcquire(cost) on the caller's thread, at CRITICAL, and keeps
 * the limiter's permit to itself. So the gate is built over this decorator: the caller puts the
 * priority in a per-thread slot before asking the gate, the decorator asks the real limiter with
 * it and records the permit it got in the same slot, and the caller reads it after the gate has
 * answered. With the limiter's permit the gateway takes the milestone sample at the first token
 * (Limiter.sample) and corrects the cost when the model reports the prompt's true count
 * (Limiter.adjust), both on the real limiter: the gate keeps counting the tenant at its estimate
 * (its own bookkeeping stays consistent, as it releases what it charged), while the limit counts
 * the corrected cost. Every other method is forwarded, as Limiter's contract asks of decorators.
 *
 * The per-thread slot is a long[2] created once per thread: asking allocates nothing after that.
 */
final class TenantAdmission<K> {
  private static final Priority[] PRIORITIES = Priority.values();
  /** [the priority's ordinal, the limiter permit of the last admission on this thread]. */
  private static final ThreadLocal<long[]> SLOT = ThreadLocal.withInitial(() -> new long[2]);

  private final Limiter limiter;
  private final FairShare<K> gate;

  TenantAdmission(Limiter limiter, double reserve) {
    this.limiter = limiter;
    this.gate = FairShare.newBuilder(new PassingLimiter(limiter)).reserve(reserve).build();
  }

  /** Returns the real limiter: sample and adjust its permits. */
  Limiter limiter() {
    return limiter;
  }

  /** Returns the fair-share gate: release its tickets. */
  FairShare<K> gate() {
    return gate;
  }

  /**
   * Asks the gate to admit {@code cost} units for {@code tenant} at {@code priority}; returns the
   * gate's ticket, and puts the limiter's permit in {@code limiterPermit[0]} when admitted.
   */
  long tryAcquire(K tenant, int cost, Priority priority, long[] limiterPermit) {
    long[] slot = SLOT.get();
    slot[0] = priority.ordinal();
    slot[1] = -1;
    long ticket = gate.tryAcquire(tenant, cost);
    limiterPermit[0] = Ticket.isPermit(ticket) ? slot[1] : -1;
    return ticket;
  }

  /** Releases a gate ticket (and so the limiter's permit behind it). */
  boolean release(long ticket, Outcome outcome) {
    return gate.release(ticket, outcome);
  }

  /** The limiter the gate sees: the caller's priority in, the permit out. */
  private static final class PassingLimiter implements Limiter {
    private final Limiter delegate;

    PassingLimiter(Limiter delegate) {
      this.delegate = delegate;
    }

    @Override
    public long tryAcquire() {
      return tryAcquire(1);
    }

    @Override
    public long tryAcquire(int cost) {
      long[] slot = SLOT.get();
      long ticket = delegate.tryAcquire(cost, PRIORITIES[(int) slot[0]]);
      slot[1] = ticket;
      return ticket;
    }

    @Override
    public long tryAcquire(int cost, Priority priority) {
      long ticket = delegate.tryAcquire(cost, priority);
      SLOT.get()[1] = ticket;
      return ticket;
    }

    @Override
    public boolean release(long permit, Outcome outcome) {
      return delegate.release(permit, outcome);
    }

    @Override
    public boolean sample(long permit) {
      return delegate.sample(permit);
    }

    @Override
    public boolean adjust(long permit, int newCost) {
      return delegate.adjust(permit, newCost);
    }

    @Override
    public boolean monitorOnly() {
      return delegate.monitorOnly();
    }

    @Override
    public void monitorOnly(boolean monitorOnly) {
      delegate.monitorOnly(monitorOnly);
    }

    @Override
    public int limit() {
      return delegate.limit();
    }

    @Override
    public int inFlight() {
      return delegate.inFlight();
    }

    @Override
    public long retryAfterNanos() {
      return delegate.retryAfterNanos();
    }

    @Override
    public LimiterSnapshot snapshot() {
      return delegate.snapshot();
    }

    @Override
    public String toString() {
      return delegate.toString();
    }
  }
}
