package io.sluice.executor;

import io.sluice.internal.queue.MpmcRing;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

/*
 * The queue of one priority level (and task class): a lock-free ring that submitters append to,
 * and a staging deque that only the dispatching thread touches.
 *
 * Submitters never see the staging deque: they bump the count (which bounds the whole queue, ring
 * and staging together, to capacity) and offer to the ring. The dispatcher, the one thread at a
 * time that holds the executor's drain counter, moves the ring's contents into the staging deque
 * in arrival order, and there it may look at both ends: shed the oldest (CoDel, deadlines), take
 * the oldest (FIFO) or the newest (adaptive LIFO). A lock-free deque shared by all threads would
 * give the same orders, but every known one is far more intricate than a ring plus a deque owned
 * by one thread; the drain counter's atomic increments hand the deque from one dispatcher to the
 * next with a happens-before edge, so it needs no synchronisation of its own.
 *
 * emptyAt is the latest moment the queue was seen empty: set by the submitter whose increment
 * found it empty and by the dispatcher whose removal emptied it, always to the larger value (a
 * CAS max, comparing readings by difference so that it moves on across the wrap of the clock),
 * so a late writer with an older reading cannot move it back. The queue "stands" (CoDel)
 * when it is non-empty and emptyAt lies at least one interval in the past.
 */
final class TaskQueue {
  private static final VarHandle COUNT;
  private static final VarHandle EMPTY_AT;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      COUNT = lookup.findVarHandle(TaskQueue.class, "count", int.class);
      EMPTY_AT = lookup.findVarHandle(TaskQueue.class, "emptyAt", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final int capacity;
  private final MpmcRing<AdmissionTask<?>> ring;
  /** Owned by the dispatching thread: tasks moved out of the ring, oldest first. */
  private final ArrayDeque<AdmissionTask<?>> staged;
  private volatile int count;
  private volatile long emptyAt;

  TaskQueue(int capacity, long nowNanos) {
    this.capacity = capacity;
    this.ring = new MpmcRing<>(Math.max(2, capacity));
    this.staged = new ArrayDeque<>(Math.min(capacity, 64)); // grows (rarely) up to capacity
    this.emptyAt = nowNanos;
  }

  /** Appends a task; false if the queue holds capacity tasks. Any thread. */
  boolean offer(AdmissionTask<?> task, long nowNanos) {
    int before = (int) COUNT.getAndAdd(this, 1);
    if (before == 0) {
      noteEmpty(nowNanos);
    }
    if (before >= capacity || !ring.offer(task)) {
      COUNT.getAndAdd(this, -1);
      return false;
    }
    return true;
  }

  /** Returns the tasks queued, including cancelled ones not yet removed. Any thread. */
  int count() {
    return count;
  }

  /** Whether the queue has been non-empty for at least {@code intervalNanos}. Any thread. */
  boolean standing(long nowNanos, long intervalNanos) {
    return count > 0 && nowNanos - emptyAt >= intervalNanos;
  }

  /** Moves what submitters appended into the staging deque. Dispatcher only. */
  void transfer() {
    for (AdmissionTask<?> t = ring.poll(); t != null; t = ring.poll()) {
      staged.addLast(t);
    }
  }

  /** Returns the oldest staged task without removing it. Dispatcher only. */
  AdmissionTask<?> oldest() {
    return staged.peekFirst();
  }

  /** Returns the newest staged task without removing it. Dispatcher only. */
  AdmissionTask<?> newest() {
    return staged.peekLast();
  }

  /** Removes the oldest (or newest) staged task. Dispatcher only. */
  AdmissionTask<?> remove(boolean newest, long nowNanos) {
    AdmissionTask<?> t = newest ? staged.pollLast() : staged.pollFirst();
    if (t != null && (int) COUNT.getAndAdd(this, -1) == 1) {
      noteEmpty(nowNanos);
    }
    return t;
  }

  private void noteEmpty(long nowNanos) {
    long seen = emptyAt;
    while (nowNanos - seen > 0) { // by difference: readings wrap past Long.MAX_VALUE
      long witness = (long) EMPTY_AT.compareAndExchange(this, seen, nowNanos);
      if (witness == seen) {
        return;
      }
      seen = witness;
    }
  }
}
