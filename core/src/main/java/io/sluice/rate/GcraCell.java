package io.sluice.rate;

/**
 * The state of one token bucket: an anchor on the clock and one word holding the theoretical
 * arrival time, in the scaled units of {@link Gcra}, counted from the anchor. The word is even while
 * the cell is live and odd once it is frozen (about to be replaced or evicted); see {@link Gcra}.
 */
final class GcraCell {
  /** The clock reading at which scaled time zero lies. */
  final long anchorNanos;

  /** Even: theoretical arrival time since the anchor, scaled. Odd: frozen. Accessed via a VarHandle. */
  volatile long word;

  GcraCell(long anchorNanos, long word) {
    this.anchorNanos = anchorNanos;
    this.word = word;
  }
}
