package io.sluice.rate;

/**
 * The state of one token bucket: an anchor on the clock and one word holding the theoretical
 * arrival time, in the scaled units of {@link Gcra}, counted from the anchor. The word is even while
 * the cell is live and odd once it is frozen (about to be replaced or evicted); see {@link Gcra}.
 *
 * <p>Four unused longs make the object 64 bytes (HotSpot places the longs from offset 16 in
 * declaration order: the word at 24, the last pad at 56), so the words of two cells allocated one after the other (tenants created together) lie
 * 64 bytes apart, on different cache lines: without them, two threads serving two such tenants
 * invalidate each other's line on every admission (measured: 90 ns instead of 34 ns per admission
 * at two threads). 64 bytes rather than the 128 of full padding, because a keyed table holds one
 * cell per key.
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

  GcraCell(long anchorNanos, long word) {
    this.anchorNanos = anchorNanos;
    this.word = word;
  }
}
