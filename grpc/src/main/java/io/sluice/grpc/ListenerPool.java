package io.sluice.grpc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Free listener wrappers of one interceptor, so that an admitted call reuses the listener of a
 * call that ended instead of allocating its own.
 *
 * <p>Design: a small array of slots, each holding at most one free listener and owned by one
 * thread, the slot of a thread chosen by its id (slots 64 bytes apart, so that threads on
 * different slots share no cache line). Only a slot's owner reads or writes its listener, with
 * plain accesses: taking and giving back cost no atomic instruction, which is what makes reuse
 * cheaper than allocating. A thread becomes a slot's owner when it gives a listener back to a
 * slot that has none, or whose owner has terminated, by a compare-and-set of the owner; so at
 * most one live thread owns a slot, and a terminated owner's writes precede the new owner's
 * reads (its end is detected with {@code isAlive}, which the memory model orders after all of
 * its actions; the cheap state read first spares live owners that call). A thread whose slot
 * another live thread owns neither takes nor gives: its calls allocate their listener, and the
 * listeners it sees end are dropped for the collector. The owner is read plainly on the way in:
 * only this thread ever writes itself there, so reading itself means it owns the slot.
 *
 * <p>The pool is a cache, not a bound: an empty slot costs an allocation, never a wait, and it
 * needs no sizing. A slot keeps its terminated owner's {@code Thread} object until another thread
 * adopts the slot. Why a listener may be reused at all is {@link AdmittedCall.Listener}'s to
 * argue.
 */
final class ListenerPool {
  /** Cells per slot: 64 bytes of 4-byte compressed references (or 128 of 8 bytes). */
  private static final int SPACING = 16;
  private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(Object[].class);

  /** Per slot, at {@code i}: the owner thread; at {@code i + 1}: its free listener or null. */
  private final Object[] cells;
  private final int mask;

  ListenerPool() {
    // Enough slots that the threads of a server's executor (consecutive ids) rarely share one:
    // 4 KiB on small machines, 64 KiB at most.
    this(Math.max(64, Math.min(1024, 4 * Runtime.getRuntime().availableProcessors())));
  }

  /** A pool of at least {@code slots} slots, a power of two. */
  ListenerPool(int slots) {
    int n = Integer.highestOneBit(slots * 2 - 1);
    this.cells = new Object[n * SPACING];
    this.mask = n - 1;
  }

  /** Returns a free listener, cleared, or null if this thread owns no slot or its slot is empty. */
  AdmittedCall.Listener<?> take() {
    Thread me = Thread.currentThread();
    int i = slot(me);
    if (cells[i] != me) {
      return null;
    }
    AdmittedCall.Listener<?> free = (AdmittedCall.Listener<?>) cells[i + 1];
    if (free != null) {
      cells[i + 1] = null;
    }
    return free;
  }

  /** Keeps a cleared listener for a later call on this thread, if it owns or can own a slot. */
  void give(AdmittedCall.Listener<?> listener) {
    Thread me = Thread.currentThread();
    int i = slot(me);
    if (cells[i] != me && !adopt(i, me)) {
      return;
    }
    cells[i + 1] = listener;
  }

  private boolean adopt(int i, Thread me) {
    Thread owner = (Thread) CELL.getAcquire(cells, i);
    return (owner == null
        || owner.getState() == Thread.State.TERMINATED && !owner.isAlive())
        && CELL.compareAndSet(cells, i, owner, me);
  }

  private int slot(Thread thread) {
    // getId(): threadId() is Java 19 and later; a virtual thread has its own id too.
    return ((int) thread.getId() & mask) * SPACING;
  }
}
