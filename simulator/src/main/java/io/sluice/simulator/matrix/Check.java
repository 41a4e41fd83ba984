package io.sluice.simulator.matrix;

/**
 * A target of the control matrix on one cell, with the interval of the run it looks at (virtual
 * nanoseconds; unused by kinds that judge the whole measured period).
 *
 * @param kind what is judged
 * @param fromNanos start of the interval judged
 * @param toNanos end of the interval judged (exclusive)
 */
record Check(Kind kind, long fromNanos, long toNanos) {

  /** What a check judges, and its threshold. */
  enum Kind {
    /** At 0.5x load or less: rejections at most 0.1%, p99 within 1.05x the unprotected server's. */
    NO_HARM,
    /** At 2x-10x load: goodput at least 0.97x the oracle's, p99 at most 1.3x the oracle's. */
    OVERLOAD,
    /**
     * After an event (capacity halves or returns, a stall ends, load returns): goodput over the
     * interval, which starts 3 s after the event, within 5% of the best fixed limit's there.
     */
    RECOVERS,
    /** After a 1.4x spike starts: goodput from 1 s on within 5% of the best fixed limit's. */
    SETTLES,
    /** Through a long overload: the mean limit of every minute within 20% of the oracle's. */
    STEADY_LIMIT,
    /** With 3% of requests slow for reasons unrelated to load, at 0.5x: rejections under 1%. */
    FEW_SLOW,
    /** Every cell: goodput at least 0.9x the oracle's. */
    NO_COLLAPSE
  }

  /** A check of the whole measured period. */
  static Check of(Kind kind) {
    return new Check(kind, 0, Long.MAX_VALUE);
  }

  /** A check of {@code [fromSeconds, toSeconds)} of the run. */
  static Check between(Kind kind, double fromSeconds, double toSeconds) {
    return new Check(kind, (long) (fromSeconds * 1e9), (long) (toSeconds * 1e9));
  }
}
