package io.sluice;

/**
 * Why work was not admitted. Every rejection carries one, together with a Retry-After hint.
 *
 * <p>The ordinal is encoded in rejection tickets (see {@link Ticket}); new reasons are only ever
 * appended.
 */
public enum RejectReason {
  /** In-flight work has reached the current concurrency limit. */
  LIMIT_REACHED,
  /** The admission queue is full. */
  QUEUE_FULL,
  /** The work waited in the admission queue longer than the queue discipline allows (CoDel). */
  QUEUE_TIMEOUT,
  /** The work's deadline has passed, or cannot be met given the expected wait and service time. */
  DEADLINE,
  /** The guard is shut down and takes no new work. */
  SHUTDOWN,
  /** Utilisation is high enough that work of this priority is shed to keep higher priorities flowing. */
  PRIORITY_SHED,
  /** A rate quota (tokens per second) is exhausted. */
  RATE_LIMITED,
  /** A circuit breaker is open: the downstream is failing and calls fail fast. */
  CIRCUIT_OPEN,
  /**
   * The tenant holds more than its fair share of the limit while other tenants need the room (see
   * {@code io.sluice.fair.FairShare}): the same request from a tenant within its share would be
   * admitted.
   */
  FAIR_SHARE,
  /**
   * An overload detector attached to the limiter (see {@code Limiter.Builder#detectors}) reads
   * SEVERE: the process itself is starved (scheduling lag, GC pauses, CPU, a saturated pool), so
   * {@link Priority#SHEDDABLE} work is refused at once, whatever the limit.
   */
  PROCESS_OVERLOADED;

  private static final RejectReason[] VALUES = values();

  /** How many reasons there are: ordinals lie in {@code [0, COUNT)}. */
  static final int COUNT = VALUES.length;

  /**
   * Returns the reason with the given ordinal, in {@code [0, COUNT)}; used to decode tickets
   * without allocating.
   */
  static RejectReason ofOrdinal(int ordinal) {
    return VALUES[ordinal];
  }
}
