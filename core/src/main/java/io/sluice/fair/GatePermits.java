package io.sluice.fair;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;

/*
 * The gate's permits: which tenant holds each one, at what cost, and the limiter permit behind it,
 * so that a release finds all three from the gate's ticket without allocating, and frees each
 * permit exactly once. Lock-free; any thread may claim and free.
 *
 * Slots. A slot is a state word [generation:32 | cost:31 | busy:1] and the limiter's permit (two
 * longs of a segment), plus the tenant (an element of a parallel Object segment). Claiming CASes a
 * free word to busy at the same generation, then writes the limiter permit and the tenant; the
 * gate's ticket is [generation:32 | slot:24], never negative. Freeing CASes (generation, busy) to
 * (generation + 1, free): of all the releases of one ticket exactly one wins, and a later one
 * finds another generation. An adjustment CASes the cost of a busy word at the same generation,
 * so a release that read the word before it fails its CAS, reads the word again and frees the
 * new cost. The claimer's plain writes reach the releaser through the caller's hand-over of the
 * ticket (the same rule as every permit of the library); a releaser reads them after its volatile
 * read of the busy word and before its CAS, while nobody else may write them.
 *
 * Generations start at a pseudo-random value per slot (SplitMix64 of the slot and a seed per
 * table), so a ticket changed by a little, with a flipped bit, or of another gate names a busy
 * slot at its generation only by a 2^-32 chance: release refuses it.
 *
 * Size follows the work in flight, as the limiter's own table does: the table starts with 256
 * slots and, when an admission brings the limiter's units in flight above half the capacity,
 * grows (doubling, at least) before claiming. Every permit holds at least one unit of the
 * limiter, so the gate's permits never outnumber those units and at most about half the slots are
 * busy: a claim finds a free slot within a few probes. Probing is linear from a slot the
 * caller's hash picks and bounded (ROUNDS passes, growing between them); a claim that finds
 * nothing returns NO_SLOT, which the gate turns into a refusal.
 *
 * Segments are never moved or freed, so a ticket stays valid while the table grows: segment 0
 * holds slots [0, 256), segment k >= 1 holds [256 * 2^(k-1), 256 * 2^k). A grower publishes every
 * missing segment below the new capacity by CAS into the directories, and only then raises the
 * capacity; a claimer reads the capacity (volatile) before probing, so the segments it probes are
 * visible. Growth allocates; claim and free do not.
 */
final class GatePermits {
  /** Returned by {@link #claim} when it found no free slot (practically never). */
  static final long NO_SLOT = -1L;
  /** The slots of a new table. */
  static final int INITIAL_CAPACITY = 1 << 8;

  private static final int INITIAL_BITS = 8;
  private static final long BUSY = 1L;
  private static final int COST_SHIFT = 1;
  private static final long COST_MASK = (1L << 31) - 1;
  private static final int GEN_SHIFT = 32;
  private static final long GEN_MASK = 0xFFFF_FFFFL;
  private static final int SLOT_BITS = 24;
  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  private static final int ROUNDS = 3;

  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle SEGMENTS = MethodHandles.arrayElementVarHandle(long[][].class);
  private static final VarHandle HOLDERS = MethodHandles.arrayElementVarHandle(Object[][].class);
  private static final VarHandle CAPACITY;

  static {
    try {
      CAPACITY = MethodHandles.lookup().findVarHandle(GatePermits.class, "capacity", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long[][] segments;
  private final Object[][] holders;
  private final int maxCapacity;
  private final long seed;
  /** Slots allocated: a power of two; every segment below it is published. Only grows. */
  private volatile int capacity;

  /** Creates a table for at most {@code maxPermits} permits held at once, in [1, 2^22]. */
  GatePermits(int maxPermits) {
    this.maxCapacity = Math.max(INITIAL_CAPACITY, Integer.highestOneBit(maxPermits - 1 | 1) << 2);
    int directory = segmentsBelow(maxCapacity);
    this.segments = new long[directory][];
    this.holders = new Object[directory][];
    this.seed = new SplittableRandom().nextLong();
    segments[0] = newSegment(0);
    holders[0] = new Object[INITIAL_CAPACITY];
    this.capacity = INITIAL_CAPACITY;
  }

  /** Returns the number of slots allocated. */
  int capacity() {
    return capacity;
  }

  /**
   * Claims a slot for a permit of {@code tenant} of {@code cost} units, admitted by the limiter as
   * {@code limiterPermit} with {@code inFlight} units now held there. Returns the gate's ticket,
   * or {@link #NO_SLOT}.
   */
  long claim(int inFlight, long limiterPermit, int cost, Tenant tenant) {
    int slots = capacity;
    if (inFlight > slots >>> 1 && slots < maxCapacity) {
      slots = grow(Math.min(maxCapacity, Integer.highestOneBit(inFlight) << 2));
    }
    // Fibonacci hash of the limiter's permit: distinct for every permit held at once.
    int slot = (int) ((limiterPermit * 0x9E37_79B9_7F4A_7C15L) >>> 40);
    long claimBits = (long) cost << COST_SHIFT | BUSY;
    for (int round = 0; round < ROUNDS; round++) {
      int mask = slots - 1;
      for (int probe = 0; probe <= mask; probe++) {
        slot &= mask;
        int k = segmentOf(slot);
        long[] segment = segments[k];
        int index = indexOf(slot);
        long word = (long) WORDS.getVolatile(segment, index << 1);
        if ((word & BUSY) == 0
            && WORDS.compareAndSet(segment, index << 1, word, word | claimBits)) {
          segment[(index << 1) + 1] = limiterPermit;
          holders[k][index] = tenant;
          return (word >>> GEN_SHIFT) << SLOT_BITS | slot;
        }
        slot++;
      }
      slots = grow(Math.min(maxCapacity, slots << 1));
    }
    return NO_SLOT;
  }

  /**
   * Returns the state word of the busy slot a ticket names, if held at the ticket's generation;
   * 0 (never a busy word) for anything else.
   */
  long heldWord(long ticket) {
    long slotBits = ticket & SLOT_MASK;
    if (ticket < 0 || slotBits >= maxCapacity) {
      return 0;
    }
    int slot = (int) slotBits;
    long[] segment = (long[]) SEGMENTS.getAcquire(segments, segmentOf(slot));
    if (segment == null) {
      return 0;
    }
    long word = (long) WORDS.getVolatile(segment, indexOf(slot) << 1);
    if ((word & BUSY) == 0 || (word >>> GEN_SHIFT) != ticket >>> SLOT_BITS) {
      return 0;
    }
    return word;
  }

  /** Returns the cost recorded in a busy word. */
  static int costOf(long word) {
    return (int) ((word >>> COST_SHIFT) & COST_MASK);
  }

  /** Returns the limiter permit of a held ticket; call after {@link #heldWord} found it held. */
  long limiterPermit(long ticket) {
    int slot = (int) (ticket & SLOT_MASK);
    return segments[segmentOf(slot)][(indexOf(slot) << 1) + 1];
  }

  /** Returns the tenant of a held ticket; call after {@link #heldWord} found it held. */
  Tenant tenant(long ticket) {
    int slot = (int) (ticket & SLOT_MASK);
    Object[] segment = (Object[]) HOLDERS.getAcquire(holders, segmentOf(slot));
    return (Tenant) segment[indexOf(slot)];
  }

  /**
   * Frees the slot of a held ticket if its word is still {@code word}; returns whether this call
   * freed it. Of all the releases of one ticket, exactly one frees it.
   */
  boolean free(long ticket, long word) {
    int slot = (int) (ticket & SLOT_MASK);
    long freed = ((word >>> GEN_SHIFT) + 1 & GEN_MASK) << GEN_SHIFT;
    // The tenant stays in the freed slot until the next claim overwrites it: clearing it after
    // the CAS could erase the next claimer's tenant, and an entry is small.
    return WORDS.compareAndSet(segments[segmentOf(slot)], indexOf(slot) << 1, word, freed);
  }

  /**
   * Changes the cost recorded in a held ticket's word from {@code word} to {@code newCost};
   * returns whether this call changed it (false if the word changed meanwhile: released, or
   * adjusted by another call). Does not free the slot: the generation stays.
   */
  boolean recost(long ticket, long word, int newCost) {
    int slot = (int) (ticket & SLOT_MASK);
    long recosted = word & ~(COST_MASK << COST_SHIFT) | (long) newCost << COST_SHIFT;
    return WORDS.compareAndSet(segments[segmentOf(slot)], indexOf(slot) << 1, word, recosted);
  }

  /** Raises the capacity to at least {@code wanted} (a power of two); returns the capacity now. */
  private int grow(int wanted) {
    for (int k = 1, end = segmentsBelow(wanted); k < end; k++) {
      if (HOLDERS.getAcquire(holders, k) == null) {
        HOLDERS.compareAndSet(holders, k, null, new Object[INITIAL_CAPACITY << (k - 1)]);
      }
      if (SEGMENTS.getAcquire(segments, k) == null) {
        SEGMENTS.compareAndSet(segments, k, null, newSegment(k));
      }
    }
    int current = capacity;
    while (current < wanted) {
      int witness = (int) CAPACITY.compareAndExchange(this, current, wanted);
      if (witness == current) {
        return wanted;
      }
      current = witness;
    }
    return current;
  }

  /** A segment's slot pairs, each state word free at its slot's first generation. */
  private long[] newSegment(int k) {
    int first = k == 0 ? 0 : INITIAL_CAPACITY << (k - 1);
    int size = k == 0 ? INITIAL_CAPACITY : first;
    long[] pairs = new long[size << 1];
    for (int i = 0; i < size; i++) {
      pairs[i << 1] = firstGeneration(first + i) << GEN_SHIFT;
    }
    return pairs;
  }

  /** The generation a slot starts at: the high half of SplitMix64 of the seeded slot index. */
  private long firstGeneration(int slot) {
    long z = seed + (slot + 1) * 0x9E37_79B9_7F4A_7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return (z ^ (z >>> 31)) >>> GEN_SHIFT;
  }

  /** The number of segments that hold a capacity of {@code slots} (a power of two, >= 256). */
  private static int segmentsBelow(int slots) {
    return Integer.numberOfTrailingZeros(slots) - INITIAL_BITS + 1;
  }

  /** The segment of a slot: 0 below 256, else log2(slot) - 7. */
  private static int segmentOf(int slot) {
    return 31 - INITIAL_BITS + 1 - Integer.numberOfLeadingZeros(slot | (INITIAL_CAPACITY - 1));
  }

  /** The index of a slot within its segment. */
  private static int indexOf(int slot) {
    int high = Integer.highestOneBit(slot | (INITIAL_CAPACITY - 1));
    return slot & ((high - 1) | (INITIAL_CAPACITY - 1));
  }
}
