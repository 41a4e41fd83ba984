package io.sluice.rate;

/**
 * The state of one token bucket: an anchor on the clock and one word holding the theoretical
 * arrival time, in the scaled units of {@link Gcra}, counted from the anchor. The word is even while
 * the cell is live and odd once it is frozen (about to be replaced or evicted); see {@link Gcra}.
 *
 * <p>Padded by inheritance, as the limiter and the ring are: HotSpot lays a superclass's fields out
 * before a subclass's, so the 64 bytes of {@link GcraCellPad0} come before the fields and the 64 of
 * this class after them, whatever the object header's size (12 bytes, or 8 with compact object
 * headers on JDK 24 and later; trailing fields alone would depend on it). The words of two cells
 * allocated one after the other (tenants created together) thus lie at least 128 bytes apart.
 * Without padding, two threads serving two such tenants invalidate each other's line on every
 * admission (measured: 90 ns instead of 34 ns per admission at two threads). 64 bytes apart were
 * not enough: the adjacent-line prefetcher pairs 64-byte lines, and with 64-byte cells the
 * two-thread figure varied from fork to fork between 34 and 65 ns. The cost is 160 bytes per
 * tracked key (152 with compact headers): 1.6 MB for the default 10,000 keys.
 */
final class GcraCell extends GcraCellFields {
  long p10;
  long p11;
  long p12;
  long p13;
  long p14;
  long p15;
  long p16;
  long p17;

  GcraCell(long anchorNanos, long word) {
    super(anchorNanos, word);
  }
}

/** Padding before the cell's fields. */
abstract class GcraCellPad0 {
  long p00;
  long p01;
  long p02;
  long p03;
  long p04;
  long p05;
  long p06;
  long p07;
}

/** The cell's fields, between the two pads. */
abstract class GcraCellFields extends GcraCellPad0 {
  /** The clock reading at which scaled time zero lies. */
  final long anchorNanos;

  /** Even: theoretical arrival time since the anchor, scaled. Odd: frozen. Accessed via a VarHandle. */
  volatile long word;

  GcraCellFields(long anchorNanos, long word) {
    this.anchorNanos = anchorNanos;
    this.word = word;
  }
}
