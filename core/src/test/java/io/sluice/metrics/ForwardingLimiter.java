package io.sluice.metrics;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A user's decorator, as a user writes one: it counts the calls it forwards and forwards every
 * method of {@link Limiter} to the built-in limiter, {@link #snapshot()} included.
 */
final class ForwardingLimiter implements Limiter {
  final Limiter delegate;
  final AtomicLong calls = new AtomicLong();

  ForwardingLimiter(Limiter delegate) {
    this.delegate = delegate;
  }

  @Override
  public long tryAcquire() {
    calls.incrementAndGet();
    return delegate.tryAcquire();
  }

  @Override
  public long tryAcquire(int cost) {
    calls.incrementAndGet();
    return delegate.tryAcquire(cost);
  }

  @Override
  public long tryAcquire(int cost, Priority priority) {
    calls.incrementAndGet();
    return delegate.tryAcquire(cost, priority);
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
}
