package io.sluice.testing;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.metrics.LimiterSnapshot;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Limiter} that delegates every call to another limiter and records what its callers did:
 * permits granted, acquisitions refused, and the outcome of every release that took effect, in
 * order. Use it to check that code under test (a guard, a handler, a client) completes each permit
 * exactly once, with the outcome it should.
 *
 * <pre>{@code
 * RecordingLimiter limiter = RecordingLimiter.wrap(Limiter.newBuilder().build());
 * handler.handle(request, limiter);
 * assertThat(limiter.outcomes()).containsExactly(Outcome.DROPPED);
 * assertThat(limiter.inFlight()).isZero();
 * }</pre>
 *
 * <p>It forwards every method of {@link Limiter}, priorities, milestone samples, cost adjustment,
 * shadow mode and {@link #snapshot()} included, as a decorator must.
 *
 * <p>Thread-safe, as its delegate is. It records with atomic adds and a copy-on-write list, so it
 * allocates and is slower than the delegate: a test double, not for production.
 */
public final class RecordingLimiter implements Limiter {
  private final Limiter delegate;
  private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
  private final AtomicLong granted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong ineffective = new AtomicLong();

  private RecordingLimiter(Limiter delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** Returns a recording limiter in front of {@code delegate}. */
  public static RecordingLimiter wrap(Limiter delegate) {
    return new RecordingLimiter(delegate);
  }

  /** Returns the wrapped limiter. */
  public Limiter delegate() {
    return delegate;
  }

  /** Returns the outcomes of the releases that took effect, in the order they happened. */
  public List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** Returns how many acquisitions returned a permit. */
  public long granted() {
    return granted.get();
  }

  /** Returns how many acquisitions returned a rejection. */
  public long refused() {
    return refused.get();
  }

  /** Returns how many releases changed nothing (second releases, rejections, foreign tickets). */
  public long ineffectiveReleases() {
    return ineffective.get();
  }

  @Override
  public long tryAcquire() {
    return record(delegate.tryAcquire());
  }

  @Override
  public long tryAcquire(int cost) {
    return record(delegate.tryAcquire(cost));
  }

  @Override
  public long tryAcquire(int cost, Priority priority) {
    return record(delegate.tryAcquire(cost, priority));
  }

  private long record(long ticket) {
    (Ticket.isPermit(ticket) ? granted : refused).incrementAndGet();
    return ticket;
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    boolean released = delegate.release(permit, outcome);
    if (released) {
      outcomes.add(outcome);
    } else {
      ineffective.incrementAndGet();
    }
    return released;
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

  /** Returns the delegate's snapshot: what the callers did, as the delegate counted it. */
  @Override
  public LimiterSnapshot snapshot() {
    return delegate.snapshot();
  }

  @Override
  public String toString() {
    return "RecordingLimiter[granted=" + granted + ", refused=" + refused + ", outcomes="
        + outcomes.size() + ", " + delegate + "]";
  }
}
