package io.sluice.limit;

/**
 * Computes a concurrency limit from what the limiter observed in a window.
 *
 * <p>The limiter calls {@link #update(WindowStats)} once per window, from the thread that closed
 * the window; calls never overlap and each call happens-before the next, so an implementation may
 * keep plain mutable state. An instance belongs to exactly one limiter: the limiter's builder takes
 * a factory ({@code Supplier<? extends LimitAlgorithm>}, such as each algorithm's builder) and
 * calls it once per limiter, and refuses an instance of the library's own that a limiter owns. An
 * implementation must be deterministic given its configuration and the sequence of windows (any
 * randomness comes from a seeded generator), must not block, and should not allocate.
 *
 * <p>The built-in algorithms are {@link FixedLimit}, {@link AimdLimit}, {@link VegasLimit} and
 * {@link GradientLimit}.
 */
public interface LimitAlgorithm {

  /** The largest limit any algorithm may configure: 2^20 concurrent units. */
  int MAX_SUPPORTED_LIMIT = 1 << 20;

  /** Returns the limit in force before the first window closes. */
  int initialLimit();

  /** Returns the smallest limit this algorithm will return; at least 1. */
  int minLimit();

  /** Returns the largest limit this algorithm will return; at most {@link #MAX_SUPPORTED_LIMIT}. */
  int maxLimit();

  /**
   * Returns the limit for the next window, given the window that just closed. The limiter clamps
   * the result to {@code [minLimit(), maxLimit()]}.
   */
  int update(WindowStats window);
}
