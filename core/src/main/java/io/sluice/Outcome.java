package io.sluice;

/**
 * How admitted work ended; given exactly once when its permit is released.
 *
 * <p>The outcome decides what the limit algorithm learns from the request.
 */
public enum Outcome {
  /** The work completed normally; its round-trip time is a latency sample for the limit. */
  SUCCESS,
  /**
   * The work timed out or met an overload signal downstream (a 503, a rejected connection, a pool
   * timeout): a capacity signal that makes the limit shrink. No latency sample is taken.
   */
  DROPPED,
  /**
   * The work ended in a way that says nothing about capacity (a validation error, a cancelled
   * request, a cache hit that skipped the backend): the permit is freed and no sample is taken.
   */
  IGNORED
}
