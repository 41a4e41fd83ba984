package io.sluice.grpc;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.metrics.LimiterSnapshot;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A limiter that forwards every method, the default ones included, and records what the
 * interceptor asked: the priority of each acquisition, the outcome of each release that took
 * effect, and the milestone samples taken.
 */
final class CountingLimiter implements Limiter {
  final Limiter delegate;
  final List<Priority> priorities = new CopyOnWriteArrayList<>();
  final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
  final AtomicInteger samplesTaken = new AtomicInteger();
  final AtomicInteger samplesRefused = new AtomicInteger();

  CountingLimiter(Limiter delegate) {
    this.delegate = delegate;
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
    priorities.add(priority);
    return delegate.tryAcquire(cost, priority);
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    boolean released = delegate.release(permit, outcome);
    if (released) {
      outcomes.add(outcome);
    }
    return released;
  }

  @Override
  public boolean sample(long permit) {
    boolean taken = delegate.sample(permit);
    (taken ? samplesTaken : samplesRefused).incrementAndGet();
    return taken;
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
