package io.sluice.rate;

/**
 * The state of one token bucket: an anchor on the clock and one word holding the theoretical
 * arrival time, in the scaled units of {@link Gcra}, counted from the anchor. The word is even while
 * the cell is live and odd once it is frozen (about to be replaced or evicted); see {@link Gcra}.
 *
 * <p>Twelve unused longs make the object 128 bytes (HotSpot places the longs from offset 16 in
 * declaration order: the word at 24, the last pad at 120), so the words of two cells allocated one
 * after the other (tenants created together) lie 128 bytes apart. Without padding, two threads
 * serving two such tenants invalidate each other's line on every admission (measured: 90 ns instead
 * of 34 ns per admission at two threads). 64 bytes were not enough: the adjacent-line prefetcher
 * pairs 64-byte lines, and with 64-byte cells the two-thread figure varied from fork to fork
 * between 34 and 65 ns (58.5 +- 12.2 over four forks); at 128 bytes it is 34.5 +- 0.7. The cost is
 * 128 bytes per tracked key: 1.3 MB for the default 10,000 keys.
 */
final class GcraCell {
  /** The clock reading at which scaled time zero lies. */
  final long anchorNanos;

  /** Even: theoretical arrival time since the anchor, scaled. Odd: frozen. Accessed via a VarHandle. */
  volatile long word;

  long p1;
  long p2;
  long p3;
  long p4;
  long p5;
  long p6;
  long p7;
  long p8;
  long p9;
  long p10;
  long p11;
  long p12;

  GcraCell(long anchorNanos, long word) {
    this.anchorNanos = anchorNanos;
    this.word = word;
  }
}
