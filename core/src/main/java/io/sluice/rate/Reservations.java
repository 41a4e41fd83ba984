package io.sluice.rate;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/*
 * The reservations of a token quota: the admissions that still await their reconciliation, each
 * with its key and its estimated cost, so that a reconciliation finds what it corrects and takes
 * effect exactly once. Lock-free; any thread may claim and take.
 *
 * Slots. A slot is a state word [generation:32 | cost:30 | taking:1 | busy:1] and a key reference,
 * at the same index of a segment's two arrays.
 * A ticket is [generation:32 | slot:24], never negative. Claiming CASes a free word (taking and
 * busy clear) to busy with the cost, then stores the key; the caller's hand-over of the ticket to
 * whoever reconciles it orders that store before the reconciler's read. Taking CASes (generation,
 * busy) to (generation, busy, taking): of all the reconciliations of one ticket exactly one wins;
 * the winner reads and clears the key, then frees the word with a release store of generation + 1,
 * so a claimer that sees the free word (a volatile read) also sees the cleared key, and its own
 * key cannot be overwritten. A later reconciliation of the same ticket finds another generation
 * (until the slot has been reused 2^32 times). While a slot is being taken, claimers pass it by.
 *
 * Generations. Every slot starts at its own pseudo-random generation (SplitMix64 of the slot index
 * and a seed per ledger), so a ticket off by a little, or one of another quota, names a slot whose
 * generation it matches only by a 2^-32 chance.
 *
 * Size. The table follows the reservations held, not a configuration: it starts with 256 slots
 * and doubles (up to maxCapacity, a power of two) whenever a claim meets PROBES busy slots in a
 * row from the random slot where it starts, so it stays sparse and claims stay short. At the
 * largest size a claim probes on until it has seen every slot once; only then is the table full.
 * Slots live in segments that are never moved: segment 0 holds slots [0, 256), segment k >= 1
 * holds [256 * 2^(k-1), 256 * 2^k). A grower publishes each missing segment by CAS (one array
 * wins a race) and only then raises the capacity by CAS; a claimer reads the capacity before it
 * probes, so every segment below it is published. Growth allocates; claims and takes do not.
 */
final class Reservations {
  /** Returned by {@link #take} when another call took the reservation first. */
  static final Object LOST = new Object();
  /** Returned by {@link #claim} when every slot is held. */
  static final long NO_SLOT = -1L;
  /** The capacity of a new table, in slots. */
  static final int INITIAL_CAPACITY = 1 << 8;
  /** The largest capacity: the slot field of a ticket has 24 bits. */
  static final int MAX_CAPACITY = 1 << 24;

  private static final long BUSY = 1L;
  private static final long TAKING = 2L;
  private static final int COST_SHIFT = 2;
  private static final long COST_BITS = (1L << 30) - 1;
  private static final int GEN_SHIFT = 32;
  private static final long GEN_MASK = 0xFFFF_FFFFL;
  private static final int SLOT_BITS = 24;
  private static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  private static final int INITIAL_BITS = 8;
  private static final int PROBES = 8;

  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle SEGMENTS = MethodHandles.arrayElementVarHandle(Segment[].class);
  private static final VarHandle CAPACITY;

  static {
    try {
      CAPACITY = MethodHandles.lookup().findVarHandle(Reservations.class, "capacity", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Segment[] segments;
  private final int maxCapacity;
  private final long seed = new SplittableRandom().nextLong();
  private final LongAdder held = new LongAdder();
  /** Slots allocated: a power of two; every segment below it is published. Only grows. */
  private volatile int capacity;

  /** Creates a ledger of at most {@code maxCapacity} slots, a power of two in [256, 2^24]. */
  Reservations(int maxCapacity) {
    this.maxCapacity = maxCapacity;
    this.segments = new Segment[segmentsBelow(maxCapacity)];
    segments[0] = newSegment(0);
    this.capacity = INITIAL_CAPACITY;
  }

  /** Returns the capacity for at least {@code reservations} slots: a power of two, at least 256. */
  static int capacityFor(int reservations) {
    return Math.max(INITIAL_CAPACITY, Integer.highestOneBit(reservations - 1 | 1) << 1);
  }

  /** Returns the slots allocated now. */
  int capacity() {
    return capacity;
  }

  /** Returns the most slots the ledger may hold. */
  int maxCapacity() {
    return maxCapacity;
  }

  /** Returns the reservations held now (exact at rest; a moving sum under concurrency). */
  long held() {
    return held.sum();
  }

  /**
   * Holds a reservation of {@code cost} (in [1, 2^30)) for {@code key}; returns its ticket, or
   * {@link #NO_SLOT} if every slot is held.
   */
  long claim(Object key, int cost) {
    long claimBits = (long) cost << COST_SHIFT | BUSY;
    int slots = capacity;
    int slot = ThreadLocalRandom.current().nextInt();
    for (;;) {
      int mask = slots - 1;
      int limit = slots < maxCapacity ? PROBES : slots;
      for (int probe = 0; probe < limit; probe++, slot++) {
        int s = slot & mask;
        Segment segment = segments[segmentOf(s)];
        int index = indexOf(s);
        long word = (long) WORDS.getVolatile(segment.words, index);
        if ((word & (BUSY | TAKING)) == 0
            && WORDS.compareAndSet(segment.words, index, word, word | claimBits)) {
          segment.keys[index] = key;
          held.increment();
          return (word >>> GEN_SHIFT) << SLOT_BITS | s;
        }
      }
      if (slots >= maxCapacity) {
        return NO_SLOT;
      }
      slots = grow(slots << 1);
    }
  }

  /**
   * Returns the state word of the reservation a ticket names, if it is held at the ticket's
   * generation; 0 (never a held word) for anything else.
   */
  long heldWord(long ticket) {
    long slotBits = ticket & SLOT_MASK;
    if (ticket < 0 || slotBits >= maxCapacity) {
      return 0L;
    }
    int slot = (int) slotBits;
    Segment segment = (Segment) SEGMENTS.getAcquire(segments, segmentOf(slot));
    if (segment == null) {
      return 0L;
    }
    long word = (long) WORDS.getVolatile(segment.words, indexOf(slot));
    if ((word & (BUSY | TAKING)) != BUSY || (word >>> GEN_SHIFT) != ticket >>> SLOT_BITS) {
      return 0L;
    }
    return word;
  }

  /** Returns the estimated cost a held word records. */
  static int cost(long word) {
    return (int) (word >>> COST_SHIFT & COST_BITS);
  }

  /**
   * Takes the reservation of a ticket whose word is still {@code word} (from {@link #heldWord}):
   * returns its key and frees the slot, or returns {@link #LOST} if another call took it first.
   */
  Object take(long ticket, long word) {
    int slot = (int) (ticket & SLOT_MASK);
    Segment segment = segments[segmentOf(slot)];
    int index = indexOf(slot);
    if (!WORDS.compareAndSet(segment.words, index, word, word | TAKING)) {
      return LOST;
    }
    Object key = segment.keys[index];
    segment.keys[index] = null;
    WORDS.setRelease(segment.words, index, ((word >>> GEN_SHIFT) + 1 & GEN_MASK) << GEN_SHIFT);
    held.decrement();
    return key;
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

  /** A segment whose words are each free at their slot's first generation. */
  private Segment newSegment(int k) {
    int first = k == 0 ? 0 : INITIAL_CAPACITY << (k - 1);
    int size = k == 0 ? INITIAL_CAPACITY : first;
    long[] segmentWords = new long[size];
    for (int i = 0; i < size; i++) {
      segmentWords[i] = firstGeneration(first + i) << GEN_SHIFT;
    }
    return new Segment(segmentWords, new Object[size]);
  }

  /** The generation a slot starts at: the high half of SplitMix64 of the seeded slot index. */
  private long firstGeneration(int slot) {
    long z = seed + (slot + 1) * 0x9E37_79B9_7F4A_7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return (z ^ (z >>> 31)) >>> GEN_SHIFT;
  }

  private static int segmentsBelow(int slots) {
    return Integer.numberOfTrailingZeros(slots) - INITIAL_BITS + 1;
  }

  /** The segment of a slot: 0 below 256, else log2(slot) - 7. */
  private static int segmentOf(int slot) {
    return 31 - INITIAL_BITS + 1 - Integer.numberOfLeadingZeros(slot | (INITIAL_CAPACITY - 1));
  }

  /** The index of a slot within its segment. */
  private static int indexOf(int slot) {
    return slot < INITIAL_CAPACITY ? slot : slot - Integer.highestOneBit(slot);
  }

  /** The state words of a run of slots and, at the same indexes, their keys. */
  private static final class Segment {
    final long[] words;
    final Object[] keys;

    Segment(long[] words, Object[] keys) {
      this.words = words;
      this.keys = keys;
    }
  }
}
