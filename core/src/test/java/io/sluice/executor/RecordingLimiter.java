package io.sluice.executor;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.metrics.LimiterSnapshot;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A limiter that delegates and records the outcome of every successful release. */
final class RecordingLimiter implements Limiter {
  final Limiter delegate;
  final List<Outcome> outcomes = new CopyOnWriteArrayList<>();

  RecordingLimiter(Limiter delegate) {
    this.delegate = delegate;
  }

  @Override
  public long tryAcquire() {
    return delegate.tryAcquire();
  }

  @Override
  public long tryAcquire(int cost) {
    return delegate.tryAcquire(cost);
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
