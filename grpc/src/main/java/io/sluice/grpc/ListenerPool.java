package io.sluice.grpc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Free listener wrappers of one interceptor, so that an admitted call reuses the listener of a
 * call that ended instead of allocating its own.
 *
 * <p>Design: a small array of slots, each holding one free listener or null, a thread taking and
 * giving back at the slot of its thread id (neighbouring slots 64 bytes apart, so that threads on
 * different slots do not share a cache line). Taking is a compare-and-set of the listener seen to
 * null: of two threads that saw the same listener one wins, so a listener is never handed to two
 * calls (an A-B-A, the listener freed and back in its slot between the read and the swap, is
 * harmless: it is free again). Giving back is a release store into an empty slot; two threads
 * that give back into the same slot at once may overwrite one another, and the listener lost is
 * garbage like any unpooled one, never in two places. The release store orders the listener's
 * cleared fields, and every access of the call that ended, before the taker's writes. An empty
 * slot costs an allocation, never a wait: the pool is a cache, not a bound, and needs no sizing.
 *
 * <p>Why a listener may be reused at all is {@link AdmittedCall.Listener}'s to argue.
 */
final class ListenerPool {
  /** Slots per cache line apart: 64 bytes of 4-byte compressed references (or 8 of 8 bytes). */
  private static final int SPACING = 16;
  private static final VarHandle SLOT =
      MethodHandles.arrayElementVarHandle(AdmittedCall.Listener[].class);

  private final AdmittedCall.Listener<?>[] slots;
  private final int mask;

  ListenerPool() {
    int stripes = Integer.highestOneBit(
        Math.max(4, Math.min(64, 2 * Runtime.getRuntime().availableProcessors())) * 2 - 1);
    this.slots = new AdmittedCall.Listener<?>[stripes * SPACING];
    this.mask = stripes - 1;
  }

  /** Returns a free listener, cleared, or null if this thread's slot is empty. */
  AdmittedCall.Listener<?> take() {
    int i = slot();
    AdmittedCall.Listener<?> free = (AdmittedCall.Listener<?>) SLOT.getAcquire(slots, i);
    if (free != null && SLOT.compareAndSet(slots, i, free, null)) {
      return free;
    }
    return null;
  }

  /** Keeps a cleared listener for a later call, if this thread's slot is empty. */
  void give(AdmittedCall.Listener<?> listener) {
    int i = slot();
    if (SLOT.getAcquire(slots, i) == null) {
      SLOT.setRelease(slots, i, listener);
    }
  }

  private int slot() {
    // getId(): threadId() is Java 19 and later; a virtual thread has its own id too.
    return ((int) Thread.currentThread().getId() & mask) * SPACING;
  }
}
