package io.sluice.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * A sliding window of three counters (for example calls, failures, slow calls), kept in a ring of
 * buckets, each one 64-bit word updated by compare-and-set: lock-free, allocation-free, and exact
 * at bucket granularity.
 *
 * The caller maps time (time-based windows) or a call sequence number (count-based windows) to a
 * generation; the window holds the last `buckets` generations, generation g in slot g mod buckets.
 *
 * Bucket word: [epoch:8][generation:20][c2:12][c1:12][c0:12]. The tag (epoch and the low 20 bits
 * of the generation) says which generation the counts belong to. The epoch lets an owner restart
 * the window without touching the buckets: after it moves to a new epoch, every old bucket fails
 * the tag check and is overwritten by the next add (the circuit breaker does this when it closes).
 * An add to a slot with another tag starts the bucket afresh, unless the slot's tag is slightly
 * ahead of the add's (at most 16 epochs, or 1024 generations of the same epoch): then the adding
 * thread was delayed past the window and its count is dropped, since its generation has left the
 * window. Tags are compared modulo their width, so a bucket last written exactly 2^20 generations
 * ago (give or take the window) would be taken for a current one; the owners state what that span
 * is in time (29 hours for 100 ms buckets), and the error it can cause is one bucket of old counts.
 *
 * A counter holds at most 4095 per bucket. An add that would exceed that first halves all three
 * counters of the bucket, which keeps their ratios (what the owners compare) within one part in
 * 2048 while bounding the bits; sums over the window therefore fit 21 bits for up to 255 buckets
 * and come back packed in one long: [s2:21][s1:21][s0:21].
 *
 * Memory ordering: every access to a bucket is a volatile read or a CAS. A sum reads the buckets one
 * at a time, so it is not a snapshot of the whole ring; for rate thresholds that is the usual and
 * sufficient guarantee.
 */
/**
 * A lock-free sliding window of three counters in a ring of packed buckets. Internal; the design
 * comment in the source gives the layout and its limits.
 */
public final class PackedWindow {
  /** The most buckets a window may have. */
  public static final int MAX_BUCKETS = 255;
  /** The most a counter holds in one bucket before the bucket is halved. */
  public static final int MAX_COUNT = (1 << 12) - 1;

  private static final VarHandle BUCKETS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final int COUNT_BITS = 12;
  private static final long COUNT_MASK = MAX_COUNT;
  private static final int TAG_SHIFT = 3 * COUNT_BITS;
  private static final long COUNTS_MASK = (1L << TAG_SHIFT) - 1;
  private static final long HALVE_MASK = COUNTS_MASK
      & ~(1L << (COUNT_BITS - 1) | 1L << (2 * COUNT_BITS - 1) | 1L << (3 * COUNT_BITS - 1));
  private static final int GEN_BITS = 20;
  private static final long GEN_MASK = (1L << GEN_BITS) - 1;
  private static final long EPOCH_MASK = 0xFF;
  private static final long MAX_EPOCH_LEAD = 16;
  private static final long MAX_GENERATION_LEAD = 1024;
  private static final int SUM_BITS = 21;
  private static final long SUM_MASK = (1L << SUM_BITS) - 1;

  private final long[] buckets;

  /**
   * Creates a window of {@code buckets} generations, all empty.
   *
   * @param buckets in [1, 255]
   */
  public PackedWindow(int buckets) {
    this.buckets = new long[Args.inRange("buckets", buckets, 1, MAX_BUCKETS)];
  }

  /** Returns the number of buckets (generations) the window holds. */
  public int buckets() {
    return buckets.length;
  }

  /**
   * Adds {@code d0}, {@code d1}, {@code d2} (each 0 or 1) to generation {@code generation} (zero or
   * more) of epoch {@code epoch}; dropped if that generation has already left the window.
   */
  public void add(int epoch, long generation, int d0, int d1, int d2) {
    int slot = (int) (generation % buckets.length);
    long tag = tag(epoch, generation);
    long delta = d0 | (long) d1 << COUNT_BITS | (long) d2 << (2 * COUNT_BITS);
    long word = (long) BUCKETS.getVolatile(buckets, slot);
    for (;;) {
      long next;
      long current = word >>> TAG_SHIFT;
      if (current == tag) {
        long counts = word;
        if (count(word, 0) + d0 > MAX_COUNT || count(word, 1) + d1 > MAX_COUNT
            || count(word, 2) + d2 > MAX_COUNT) {
          counts = (word & COUNTS_MASK) >>> 1 & HALVE_MASK | word & ~COUNTS_MASK;
        }
        next = counts + delta;
      } else if ((word & COUNTS_MASK) == 0 || !isSlightlyAhead(current, tag)) {
        next = tag << TAG_SHIFT | delta;
      } else {
        return;
      }
      long witness = (long) BUCKETS.compareAndExchange(buckets, slot, word, next);
      if (witness == word) {
        return;
      }
      word = witness;
    }
  }

  /** Returns the first counter of generation {@code generation} of epoch {@code epoch}. */
  public int count0(int epoch, long generation) {
    long word = (long) BUCKETS.getVolatile(buckets, (int) (generation % buckets.length));
    return word >>> TAG_SHIFT == tag(epoch, generation) ? count(word, 0) : 0;
  }

  /**
   * Returns the sums of the three counters over generations {@code (generation - buckets,
   * generation]} of epoch {@code epoch}, packed; decode with {@link #sum0}, {@link #sum1},
   * {@link #sum2}.
   */
  public long sum(int epoch, long generation) {
    long s0 = 0;
    long s1 = 0;
    long s2 = 0;
    int n = buckets.length;
    for (int back = 0; back < n && back <= generation; back++) {
      long g = generation - back;
      long word = (long) BUCKETS.getVolatile(buckets, (int) (g % n));
      if (word >>> TAG_SHIFT == tag(epoch, g)) {
        s0 += count(word, 0);
        s1 += count(word, 1);
        s2 += count(word, 2);
      }
    }
    return s0 | s1 << SUM_BITS | s2 << (2 * SUM_BITS);
  }

  /** Returns the first counter's sum from a packed {@link #sum}. */
  public static int sum0(long sums) {
    return (int) (sums & SUM_MASK);
  }

  /** Returns the second counter's sum from a packed {@link #sum}. */
  public static int sum1(long sums) {
    return (int) (sums >>> SUM_BITS & SUM_MASK);
  }

  /** Returns the third counter's sum from a packed {@link #sum}. */
  public static int sum2(long sums) {
    return (int) (sums >>> (2 * SUM_BITS) & SUM_MASK);
  }

  private static long tag(long epoch, long generation) {
    return (epoch & EPOCH_MASK) << GEN_BITS | generation & GEN_MASK;
  }

  private static int count(long word, int counter) {
    return (int) (word >>> (counter * COUNT_BITS) & COUNT_MASK);
  }

  /** Whether tag {@code a} is a little ahead of {@code b}: b's writer was delayed past the window. */
  private static boolean isSlightlyAhead(long a, long b) {
    long epochLead = ((a >>> GEN_BITS) - (b >>> GEN_BITS)) & EPOCH_MASK;
    if (epochLead != 0) {
      return epochLead <= MAX_EPOCH_LEAD;
    }
    long generationLead = (a - b) & GEN_MASK;
    return generationLead > 0 && generationLead <= MAX_GENERATION_LEAD;
  }
}
