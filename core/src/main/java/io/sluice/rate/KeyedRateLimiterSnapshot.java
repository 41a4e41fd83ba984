package io.sluice.rate;

/**
 * What a {@link KeyedRateLimiter} holds at one moment, read by {@link KeyedRateLimiter#snapshot()}:
 * its table of keys and what the table's bound cost. Counts are cumulative since the limiter was
 * built and read one after the other, not at one instant.
 *
 * <p>An interface, not a record, so that a keyed limiter with more to report (a fleet-wide one
 * reports its store calls) returns a snapshot of its own that is also one of these. Every
 * implementation is immutable.
 */
public interface KeyedRateLimiterSnapshot {

  /** Returns a snapshot of these values; for test doubles and decorators. */
  static KeyedRateLimiterSnapshot of(
      int burst, int maxKeys, int keys, long evictions, long rejectedNewKeys) {
    return new KeyedCounts(burst, maxKeys, keys, evictions, rejectedNewKeys);
  }

  /** Returns the configured burst of every key's bucket. */
  int burst();

  /** Returns the most keys tracked at once. */
  int maxKeys();

  /** Returns the number of keys tracked when the snapshot was read. */
  int keys();

  /** Returns how many idle keys have been evicted. */
  long evictions();

  /** Returns how many requests of new keys were refused because the table was full. */
  long rejectedNewKeys();
}
