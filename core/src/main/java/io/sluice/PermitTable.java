package io.sluice;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;

/*
 * The permit table: which permits are held, so that a release can tell a live ticket from a
 * stale, corrupted or foreign one and free each permit exactly once. Lock-free; any thread may
 * claim and free.
 *
 * Slots: a slot is a pair of longs, a state word
 * [generation:32 | cost:29 | sampled:1 | timed:1 | busy:1] and the start time of a timed permit.
 * Claiming CASes a free word to busy (same generation); the ticket is [generation:32 | slot:24],
 * never negative. Freeing CASes (generation, busy) to (generation + 1, free): exactly one release
 * of a ticket wins, and a later one finds another generation (until the slot has been reused 2^32
 * times). A held permit's word changes only by CAS at the same generation (replace: a milestone
 * sample sets `sampled`, a cost adjustment rewrites `cost`), so a release or another change that
 * read the word before retries with the new word, and a CAS that succeeds proves the slot was not
 * freed or reclaimed since its reading. The start time is written by the claimer after its CAS
 * and read by the releaser (or the milestone sample) before its own CAS; the caller's hand-over
 * of the ticket orders the two.
 *
 * Generations: every slot starts at its own pseudo-random generation, a SplitMix64 mix of the
 * slot's index and a random seed per table. A ticket off by a little (ticket +- k, a flipped bit
 * in the slot field) names another slot with the same generation field, which matches that
 * slot's generation only by a 2^-32 chance; a flipped bit in the generation field names the right
 * slot with a wrong generation and never matches while the permit is held; a ticket of another
 * table matches by a 2^-32 chance. (When all slots started at one generation, a neighbour's
 * ticket matched by construction.)
 *
 * Size follows the work in flight, not maxLimit: the table starts with INITIAL_CAPACITY slots and,
 * when an admission brings the units in flight above half the capacity, grows before claiming to
 * a power of two more than twice those units (it doubles, at least), up to the smallest power of
 * two at least twice the largest number of permits (the limiter passes its ceiling of units in
 * flight, 2^22, which only a monitor-only limiter can approach). Every permit holds at least one
 * unit (a cost adjustment keeps it so), so there are never more permits than units in flight,
 * and an extra charge adds units without a permit. The busy slots at
 * any moment belong to permits admitted no later than the latest of them, and still in flight:
 * that one's claimer made the capacity at least twice the units in flight at its admission, so at
 * most half the slots are ever busy and a full table is impossible by construction.
 *
 * Segments: slots live in segments that are never moved or freed, so a ticket stays valid while
 * the table grows. Segment 0 holds slots [0, 256); segment k >= 1 holds [256 * 2^(k-1), 256 * 2^k),
 * so slot i is in segment max(0, log2(i) - 7). A grower allocates each missing segment below the
 * new capacity, initialises its generations and publishes it by CAS into the directory (when two
 * growers race for a segment, one array wins and the other is dropped), and only then raises the
 * capacity by CAS. A claimer reads the capacity (volatile) before it probes, so every segment it
 * probes was published before: the directory can be read plainly. Growth allocates; the claim and
 * the release do not.
 *
 * Probing: linear, from a slot the caller's hash picks, within the capacity read. A round probes
 * each slot at most once. A round that finds nothing free (possible only if slots are freed and
 * reclaimed ahead of the prober throughout the round) grows the table one step and tries again;
 * after ROUNDS rounds the claim gives up, so no loop is unbounded.
 */
final class PermitTable {
  /** Returned by {@link #claim} when it found no free slot (practically never). */
  static final long NO_SLOT = -1L;
  /** The capacity of a new table, in slots: 4 KiB of slot pairs. */
  static final int INITIAL_CAPACITY = 1 << 8;

  static final long BUSY = 1L;
  static final long TIMED = 2L;
  /** Set once a milestone sample was taken: the release records no second sample. */
  static final long SAMPLED = 4L;
  static final int COST_SHIFT = 3;
  static final long COST_MASK = ((1L << 29) - 1) << COST_SHIFT;

  private static final int INITIAL_BITS = 8;
  private static final int GEN_SHIFT = 32;
  private static final long GEN_MASK = 0xFFFF_FFFFL;
  private static final int SLOT_BITS = 24;
  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  private static final int ROUNDS = 3;

  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle SEGMENTS = MethodHandles.arrayElementVarHandle(long[][].class);
  private static final VarHandle CAPACITY;

  static {
    try {
      CAPACITY = MethodHandles.lookup().findVarHandle(PermitTable.class, "capacity", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long[][] segments;
  private final int maxCapacity;
  private final long seed;
  /** Slots allocated: a power of two; every segment below it is published. Only grows. */
  private volatile int capacity;

  /** Creates a table for at most {@code maxPermits} permits held at once, in [1, 2^22]. */
  PermitTable(int maxPermits) {
    this.maxCapacity = Math.max(INITIAL_CAPACITY, Integer.highestOneBit(maxPermits - 1 | 1) << 2);
    this.segments = new long[segmentsBelow(maxCapacity)][];
    this.seed = new SplittableRandom().nextLong();
    segments[0] = newSegment(0);
    this.capacity = INITIAL_CAPACITY;
  }

  /** Returns the number of slots allocated, for tests and the footprint. */
  int capacity() {
    return capacity;
  }

  /** Returns the number of slots the table may grow to. */
  int maxCapacity() {
    return maxCapacity;
  }

  /**
   * Claims a free slot for a permit that brought the in-flight units to {@code inFlight}, growing
   * the table first if that is a new high-water mark above half the capacity. Returns the ticket,
   * or {@link #NO_SLOT}.
   *
   * @param hash picks the first slot probed (its bits 40 to 63)
   * @param claimBits the cost, BUSY, and TIMED for a timed permit
   * @param startNanos the start time of a timed permit, ignored otherwise
   */
  long claim(int inFlight, long hash, long claimBits, long startNanos) {
    int slots = capacity;
    if (inFlight > slots >>> 1 && slots < maxCapacity) {
      slots = grow(Math.min(maxCapacity, Integer.highestOneBit(inFlight) << 2));
    }
    int slot = (int) (hash >>> 40);
    for (int round = 0; round < ROUNDS; round++) {
      int mask = slots - 1;
      for (int probe = 0; probe <= mask; probe++) {
        slot &= mask;
        long[] segment = segments[segmentOf(slot)];
        int index = indexOf(slot);
        long word = (long) WORDS.getVolatile(segment, index);
        if ((word & BUSY) == 0 && WORDS.compareAndSet(segment, index, word, word | claimBits)) {
          if ((claimBits & TIMED) != 0) {
            segment[index + 1] = startNanos;
          }
          return (word >>> GEN_SHIFT) << SLOT_BITS | slot;
        }
        slot++;
      }
      slots = grow(Math.min(maxCapacity, slots << 1));
    }
    return NO_SLOT;
  }

  /**
   * Returns the state word of the busy slot a ticket names, if that slot is held at the ticket's
   * generation; 0 (never a busy word) for anything else: a free slot, another generation, a slot
   * beyond the table, a negative value.
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
    long word = (long) WORDS.getVolatile(segment, indexOf(slot));
    if ((word & BUSY) == 0 || (word >>> GEN_SHIFT) != ticket >>> SLOT_BITS) {
      return 0;
    }
    return word;
  }

  /** Returns the start time of a timed permit; call after {@link #heldWord} found it held. */
  long startNanos(long ticket) {
    int slot = (int) (ticket & SLOT_MASK);
    return segments[segmentOf(slot)][indexOf(slot) + 1];
  }

  /**
   * Frees the slot of a held ticket if its word is still {@code word} (from {@link #heldWord});
   * returns whether this call freed it. Of all the releases of one ticket, exactly one frees it.
   */
  boolean free(long ticket, long word) {
    int slot = (int) (ticket & SLOT_MASK);
    long freed = ((word >>> GEN_SHIFT) + 1 & GEN_MASK) << GEN_SHIFT;
    return WORDS.compareAndSet(segments[segmentOf(slot)], indexOf(slot), word, freed);
  }

  /**
   * Replaces the state word of a held ticket if it is still {@code word} (from {@link #heldWord})
   * by {@code newWord}, which keeps its generation and busy bit; returns whether it did.
   */
  boolean replace(long ticket, long word, long newWord) {
    int slot = (int) (ticket & SLOT_MASK);
    return WORDS.compareAndSet(segments[segmentOf(slot)], indexOf(slot), word, newWord);
  }

  /** Raises the capacity to at least {@code wanted} (a power of two); returns the capacity now. */
  private int grow(int wanted) {
    for (int k = 1, end = segmentsBelow(wanted); k < end; k++) {
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

  /** The index of a slot's state word within its segment (the start time follows it). */
  private static int indexOf(int slot) {
    int high = Integer.highestOneBit(slot | (INITIAL_CAPACITY - 1));
    return (slot & ((high - 1) | (INITIAL_CAPACITY - 1))) << 1;
  }
}
