package io.sluice.pool;

import io.sluice.Outcome;
import io.sluice.internal.Args;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A resource checked out through a {@link PoolGuard}: use {@link #resource()}, then give it back
 * exactly once with {@link #close()} (a try-with-resources block does it), or with
 * {@link #close(Outcome)} to report a timeout or overload signal ({@link Outcome#DROPPED}), or
 * {@link #discard(Outcome)} if the resource is broken.
 *
 * <p>Thread-safe: the lease may be closed from any thread, and only the first close or discard
 * takes effect; later ones return {@code false}. Giving the resource back happens-before the
 * permit is released (and handed to the next caller in line, if any), so a caller admitted by
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

  /** Gives the resource back and releases the permit as {@link Outcome#SUCCESS}. */
  @Override
  public void close() {
    close(Outcome.SUCCESS);
  }

  /**
   * Gives the resource back and releases the permit with {@code outcome}: {@code DROPPED} when the
   * work timed out or met an overload signal, so the guard lowers its limit. Returns whether this
   * call released the lease.
   */
  public boolean close(Outcome outcome) {
    return settle(Args.notNull("outcome", outcome), false);
  }

  /**
   * Discards a broken resource (see {@link PoolAdapter#discard}) and releases the permit with
   * {@code outcome}. Returns whether this call released the lease.
   */
  public boolean discard(Outcome outcome) {
    return settle(Args.notNull("outcome", outcome), true);
  }

  /** Returns whether the lease has been closed or discarded. */
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
