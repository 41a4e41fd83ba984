package io.sluice.servlet;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.metrics.LimiterSnapshot;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A limiter that remembers what each permit it holds was issued for (the label the test sets on
 * the acquiring thread), so that a permit left in flight names its request.
 */
final class TrackingLimiter implements Limiter {
  static final ThreadLocal<String> LABEL = new ThreadLocal<>();

  private final Limiter delegate;
  private final Map<Long, String> held = new ConcurrentHashMap<>();

  TrackingLimiter(Limiter delegate) {
    this.delegate = delegate;
  }

  /** Returns what the permits still held were issued for. */
  Map<Long, String> held() {
    return Map.copyOf(held);
  }

  Limiter delegate() {
    return delegate;
  }

  @Override
  public long tryAcquire() {
    return tryAcquire(1, Priority.CRITICAL);
  }

  @Override
  public long tryAcquire(int cost) {
    return tryAcquire(cost, Priority.CRITICAL);
  }

  @Override
  public long tryAcquire(int cost, Priority priority) {
    long ticket = delegate.tryAcquire(cost, priority);
    if (Ticket.isPermit(ticket)) {
      held.put(ticket, LABEL.get() + " on " + Thread.currentThread().getName());
    }
    return ticket;
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    held.remove(permit);
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
}
