package io.sluice.detector;

/**
 * The last {@code capacity} values of a series, oldest first: a detector's sliding window. Single
 * writer, single reader (the sampling thread); not thread-safe. Scans are linear, which is cheap at
 * the sizes the builders allow (at most {@link #MAX_CAPACITY}) and a sampling rate of Hz, not MHz.
 */
final class LongRing {
  /** The largest window, in samples, that a builder accepts. */
  static final int MAX_CAPACITY = 10_000;

  private final long[] values;
  private int next;
  private int size;

  LongRing(int capacity) {
    this.values = new long[capacity];
  }

  /** Appends a value, evicting the oldest when full. */
  void push(long value) {
    values[next] = value;
    next = (next + 1) % values.length;
    size = Math.min(size + 1, values.length);
  }

  /** Returns how many values the ring holds. */
  int size() {
    return size;
  }

  /** Returns whether the ring holds {@code capacity} values. */
  boolean full() {
    return size == values.length;
  }

  /** Returns the oldest value held; the ring must not be empty. */
  long oldest() {
    return values[size < values.length ? 0 : next];
  }

  /** Returns the largest value held, or 0 when empty. */
  long max() {
    long max = 0;
    for (int i = 0; i < size; i++) {
      max = Math.max(max, values[i]);
    }
    return max;
  }

  /** Returns the smallest value held, or 0 when empty. */
  long min() {
    if (size == 0) {
      return 0;
    }
    long min = Long.MAX_VALUE;
    for (int i = 0; i < size; i++) {
      min = Math.min(min, values[i]);
    }
    return min;
  }
}
