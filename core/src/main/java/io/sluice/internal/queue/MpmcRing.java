package io.sluice.internal.queue;

import io.sluice.internal.Args;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A bounded multi-producer multi-consumer FIFO on an array: Vyukov's bounded MPMC queue, with
 * VarHandles and the fields padded apart.
 *
 * Each slot i has a sequence number seq[i]; the slot serves the positions p = i, i + capacity,
 * i + 2 * capacity, ... in turn. seq[i] == p means "free for the producer of position p";
 * seq[i] == p + 1 means "holds the element of position p". A producer reads the tail p, and if its
 * slot is free for p it claims the position with a CAS tail p -> p + 1, stores the element with a
 * plain write and publishes it with a release store seq = p + 1. A consumer reads the head p, and
 * if its slot holds position p it claims it with a CAS head p -> p + 1, reads and clears the
 * element, and frees the slot for the next lap with a release store seq = p + capacity. The
 * acquire load of seq that precedes every claim pairs with those release stores, so the element
 * written by the producer is visible to the consumer, and the consumer's clearing store happens
 * before the next lap's producer writes. Capacity is a power of two, at least 2 (with one slot,
 * "holds p" and "free for p + 1" would be the same number).
 *
 * Linearization points: a successful offer at its tail CAS, a successful poll at its head CAS, a
 * failed offer ("full") at its read of the head, an empty poll at its read of the tail.
 *
 * Progress: lock-free with one window, the same as Vyukov's queue and JCTools' MpmcArrayQueue.
 * Between a producer's tail CAS and its release store (two instructions), a consumer that reaches
 * that position spins instead of reporting "empty", which would not be linearizable; likewise a
 * producer spins on a slot whose consumer has claimed it but not yet freed it. A thread descheduled
 * inside that window delays only the threads that reach that one slot.
 */

/**
 * A bounded, lock-free, multi-producer multi-consumer FIFO ring (Vyukov's array queue). Any thread
 * may call any method at any time; the ring never allocates after construction.
 *
 * <p>Internal: guards use it as the inbox of their admission queues.
 *
 * @param <E> the element type
 */
public final class MpmcRing<E> extends MpmcRingHead {
  /** The largest capacity a ring may have. */
  public static final int MAX_CAPACITY = 1 << 30;

  private static final VarHandle HEAD;
  private static final VarHandle TAIL;
  private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      HEAD = lookup.findVarHandle(MpmcRingHead.class, "head", long.class);
      TAIL = lookup.findVarHandle(MpmcRingTail.class, "tail", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long[] sequences;
  private final Object[] elements;
  private final int mask;

  /**
   * Creates a ring that holds at least {@code minCapacity} elements (rounded up to a power of two).
   *
   * @param minCapacity in [2, 2^30]
   */
  public MpmcRing(int minCapacity) {
    Args.inRange("minCapacity", minCapacity, 2, MAX_CAPACITY);
    int capacity = Integer.highestOneBit(minCapacity - 1) << 1;
    this.sequences = new long[capacity];
    this.elements = new Object[capacity];
    this.mask = capacity - 1;
    for (int i = 0; i < capacity; i++) {
      sequences[i] = i;
    }
    VarHandle.releaseFence();
  }

  /** Returns how many elements the ring holds when full. */
  public int capacity() {
    return mask + 1;
  }

  /**
   * Appends {@code element} at the tail; returns {@code false} (and changes nothing) if the ring is
   * full.
   *
   * @throws IllegalArgumentException if {@code element} is null
   */
  public boolean offer(E element) {
    Args.notNull("element", element);
    long[] seq = sequences;
    long tail = (long) TAIL.getVolatile(this);
    for (;;) {
      int slot = (int) tail & mask;
      long turn = (long) SEQ.getAcquire(seq, slot);
      if (turn == tail) {
        long witness = (long) TAIL.compareAndExchange(this, tail, tail + 1);
        if (witness == tail) {
          elements[slot] = element;
          SEQ.setRelease(seq, slot, tail + 1);
          return true;
        }
        tail = witness;
      } else if (turn < tail) {
        // The slot still holds the element of the previous lap: full, unless its consumer has
        // claimed it and is about to free it.
        if (tail - (long) HEAD.getVolatile(this) > mask) {
          return false;
        }
        Thread.onSpinWait();
        tail = (long) TAIL.getVolatile(this);
      } else {
        tail = (long) TAIL.getVolatile(this);
      }
    }
  }

  /** Removes and returns the element at the head, or returns {@code null} if the ring is empty. */
  @SuppressWarnings("unchecked")
  public E poll() {
    long[] seq = sequences;
    long head = (long) HEAD.getVolatile(this);
    for (;;) {
      int slot = (int) head & mask;
      long turn = (long) SEQ.getAcquire(seq, slot);
      long expected = head + 1;
      if (turn == expected) {
        long witness = (long) HEAD.compareAndExchange(this, head, expected);
        if (witness == head) {
          Object element = elements[slot];
          elements[slot] = null;
          SEQ.setRelease(seq, slot, head + mask + 1);
          return (E) element;
        }
        head = witness;
      } else if (turn < expected) {
        // Nothing published at the head: empty, unless a producer has claimed it and is writing.
        if ((long) TAIL.getVolatile(this) == head) {
          return null;
        }
        Thread.onSpinWait();
        head = (long) HEAD.getVolatile(this);
      } else {
        head = (long) HEAD.getVolatile(this);
      }
    }
  }

  /**
   * Returns how many elements the ring holds: exact when no operation runs concurrently, otherwise
   * a value that the ring held at some moment during the call.
   */
  public int size() {
    for (;;) {
      long head = (long) HEAD.getVolatile(this);
      long tail = (long) TAIL.getVolatile(this);
      if ((long) HEAD.getVolatile(this) == head) {
        return (int) (tail - head);
      }
    }
  }

  /** Returns whether the ring holds no element, with the same consistency as {@link #size()}. */
  public boolean isEmpty() {
    return size() == 0;
  }

  @Override
  public String toString() {
    return "MpmcRing[capacity=" + capacity() + ", size=" + size() + "]";
  }
}

/** Padding before the consumer index. */
abstract class MpmcRingPad0 {
  long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** The producer index: the next position to fill. */
abstract class MpmcRingTail extends MpmcRingPad0 {
  volatile long tail;
}

/** Padding between the indexes. */
abstract class MpmcRingPad1 extends MpmcRingTail {
  long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** The consumer index: the next position to take. */
abstract class MpmcRingHead extends MpmcRingPad1 {
  volatile long head;
  long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}
