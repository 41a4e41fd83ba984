package io.sluice.servlet;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A limiter built by {@code Limiter.newBuilder()} behind a decorator that forwards every method
 * and records what the filter asked: the priority and cost of each acquisition, the outcome of each
 * release, each milestone sample.
 */
final class SpyLimiter implements Limiter {
  final Limiter delegate;
  final List<Priority> priorities = new CopyOnWriteArrayList<>();
  final List<Integer> costs = new CopyOnWriteArrayList<>();
  final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
  final List<Long> samples = new CopyOnWriteArrayList<>();
  /** Releases between the delegate's and their recording: in flight until recorded. */
  private final AtomicInteger recording = new AtomicInteger();

  SpyLimiter(int limit) {
    this.delegate = Limiter.newBuilder().algorithm(FixedLimit.of(limit)).build();
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
    costs.add(cost);
    return delegate.tryAcquire(cost, priority);
  }

  @Override
  public boolean release(long permit, Outcome outcome) {
    recording.incrementAndGet();
    try {
      boolean released = delegate.release(permit, outcome);
      if (released) {
        outcomes.add(outcome);
      }
      return released;
    } finally {
      recording.decrementAndGet();
    }
  }

  @Override
  public boolean sample(long permit) {
    samples.add(permit);
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
    return delegate.inFlight() + recording.get();
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
