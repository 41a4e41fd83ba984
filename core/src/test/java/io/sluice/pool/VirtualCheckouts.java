package io.sluice.pool;

import io.sluice.AdmissionRejectedException;
import io.sluice.NanoClock;
import io.sluice.RejectReason;
import io.sluice.Ticket;

/**
 * Checkouts through a real {@link PoolGuard} that call back instead of parking a thread, for
 * single-threaded virtual-time tests (other packages' tests included). The flow is that of
 * {@link PoolGuard#acquireBy(long)}, step for step, over the guard's own line, hand-off and borrow;
 * only the parking is replaced: the test's scheduler wakes the waiter at its deadline, and a grant
 * continues the checkout at the same virtual instant. The adapter must not block.
 */
public final class VirtualCheckouts {
  private VirtualCheckouts() {}

  /** Runs actions at virtual times (the test's event queue). */
  public interface Scheduler {
    /** Runs {@code action} at virtual time {@code nanos}, after what is already due then. */
    void at(long nanos, Runnable action);
  }

  /** Told once how a checkout ended. */
  public interface Callback<R> {
    /** The checkout got a lease; close it when the work is done. */
    void leased(Lease<R> lease);

    /** The checkout was refused (its reason and Retry-After as the guard gave them). */
    void refused(AdmissionRejectedException refusal);
  }

  /** Starts a checkout due by {@code deadlineNanos}; the callback is told, now or later. */
  public static <R> void acquireBy(PoolGuard<R> guard, long deadlineNanos, NanoClock clock,
      Scheduler scheduler, Callback<R> callback) {
    try {
      long start = clock.nanoTime();
      long remaining = deadlineNanos - start;
      if (remaining <= 0) {
        callback.refused(guard.refuse(RejectReason.DEADLINE, guard.retryAfter(PoolGuard.NONE)));
        return;
      }
      long wait = Math.min(remaining, guard.maxWaitNanos());
      boolean byDeadline = remaining <= guard.maxWaitNanos();
      long permit = guard.tryAcquirePermit();
      if (Ticket.isPermit(permit)) {
        callback.leased(guard.borrow(permit, start, wait, byDeadline));
        return;
      }
      PoolGuard.Waiter waiter = new PoolGuard.Waiter() {
        @Override
        void granted() {
          scheduler.at(clock.nanoTime(), () -> {
            long now = clock.nanoTime();
            try {
              callback.leased(guard.borrow(state, now, wait - (now - start), byDeadline));
            } catch (AdmissionRejectedException e) {
              callback.refused(e);
            } catch (InterruptedException e) {
              throw new AssertionError("a virtual adapter does not wait", e);
            }
          });
        }
      };
      if (!guard.enqueue(waiter)) {
        callback.refused(guard.refuse(RejectReason.LIMIT_REACHED, guard.retryAfter(permit)));
        return;
      }
      scheduler.at(start + wait, () -> {
        if (guard.cancel(waiter)) {
          callback.refused(guard.timedOut(byDeadline, null));
        }
      });
    } catch (AdmissionRejectedException e) {
      callback.refused(e);
    } catch (InterruptedException e) {
      throw new AssertionError("a virtual adapter does not wait", e);
    }
  }
}
