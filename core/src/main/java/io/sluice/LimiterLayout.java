package io.sluice;

/*
 * The limiter's fields, padded 128 bytes apart by inheritance (so the padding holds whatever the
 * object header's size): the admission word alone on its cache lines, since it changes on every
 * acquire and release; then the read-mostly fields the hot paths read next to each other (limit,
 * cappedFrom, the detectors' word, the window's start), written about once per window or under
 * contention. The rules live in the subclasses: LimiterPriorities, then WindowedLimiter.
 */
/** The limiter's padded field layout; see the design comment. */
final class LimiterLayout {
  private LimiterLayout() {}

  /** Padding before the admission word. */
  abstract static class Pad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
  }

  /** The admission word, alone on its cache lines. */
  abstract static class State extends Pad0 {
    /** Low 32 bits: in-flight units; high 32 bits: wrapping release count. */
    volatile long state;
  }

  /** Padding after the admission word. */
  abstract static class Pad1 extends State {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
  }

  /** Fields read on every call but written about once per window. */
  abstract static class Fields extends Pad1 {
    volatile int limit;
    volatile int maxInFlight;
    volatile int samplingMask;
    volatile int closing;
    volatile long windowStart;
    volatile long windowsClosed;
    /**
     * Drops already accounted to closed windows; read to decide whether a window has enough
     * events.
     */
    volatile long lastDropsSeen;
    /** Levels from this ordinal down are held to their shares; Priority.LEVELS when none is. */
    volatile int cappedFrom;
    /** The detectors' worst level and whether some must be polled: see DetectorFold. */
    volatile int overload;
    /** Refusals are counted and reported, and the work admitted all the same. */
    volatile boolean monitorOnly;
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
  }
}
