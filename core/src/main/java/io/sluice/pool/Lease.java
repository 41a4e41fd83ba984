package io.sluice.pool;

import io.sluice.Outcome;
import io.sluice.internal.Args;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A resource checked out through a {@link PoolGuard}: use {@link #resource()}, then give it back
 * exactly once with {@link #release(Outcome)}, as a limiter's permit is released: {@code SUCCESS}
 * for work done, {@link Outcome#DROPPED} to report a timeout or overload signal, {@code IGNORED}
 * for work that says nothing about capacity. {@link #close()} (a try-with-resources block calls it)
 * is {@code release(Outcome.SUCCESS)}: giving a resource back is how its use normally ends, so the
 * default is a latency sample. {@link #discard(Outcome)} gives back nothing: the resource is
 * broken.
 *
 * <p>Thread-safe: the lease may be released from any thread, and only the first release, close or
 * discard takes effect; later ones return {@code false}. Giving the resource back happens-before
 * the permit is released (and handed to the next caller in line, if any), so a caller admitted by
 * that permit finds the resource in the pool.
 *
 * @param <R> the resource type
 */
public final class Lease<R> implements AutoCloseable {
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(Lease.class, "released", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final PoolGuard<R> guard;
  private final R resource;
  private final long permit;
  private volatile int released;

  Lease(PoolGuard<R> guard, R resource, long permit) {
    this.guard = guard;
    this.resource = resource;
    this.permit = permit;
  }

  /** Returns the borrowed resource. */
  public R resource() {
    return resource;
  }

  /** Gives the resource back and releases the permit as {@link Outcome#SUCCESS}, if not yet. */
  @Override
  public void close() {
    release(Outcome.SUCCESS);
  }

  /**
   * Gives the resource back and releases the permit with {@code outcome}: {@code DROPPED} when the
   * work timed out or met an overload signal, so the guard lowers its limit. Returns whether this
   * call released the lease.
   */
  public boolean release(Outcome outcome) {
    return settle(Args.notNull("outcome", outcome), false);
  }

  /**
   * Discards a broken resource (see {@link PoolAdapter#discard}) and releases the permit with
   * {@code outcome}. Returns whether this call released the lease.
   */
  public boolean discard(Outcome outcome) {
    return settle(Args.notNull("outcome", outcome), true);
  }

  /** Returns whether the lease has been released (or closed) or discarded. */
  public boolean isReleased() {
    return released != 0;
  }

  private boolean settle(Outcome outcome, boolean broken) {
    if (!RELEASED.compareAndSet(this, 0, 1)) {
      return false;
    }
    try {
      if (broken) {
        guard.adapter.discard(resource);
      } else {
        guard.adapter.giveBack(resource);
      }
    } finally {
      guard.release(permit, outcome);
    }
    return true;
  }

  @Override
  public String toString() {
    return "Lease[" + resource + (isReleased() ? ", released" : "") + "]";
  }
}
