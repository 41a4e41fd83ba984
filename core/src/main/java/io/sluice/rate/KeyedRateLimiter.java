package io.sluice.rate;

import com.google.errorprone.annotations.CheckReturnValue;
import io.sluice.internal.Args;

/**
 * Per-key quotas (per tenant, per API key, per client address): one token bucket for every key,
 * each with the same rate and burst, in a table of bounded size.
 *
 * <p>Keys are isolated: a key's bucket is touched only by that key's requests, so a noisy key cannot
 * consume another key's quota. Each key has the guarantee of {@link RateLimiter}.
 *
 * <h2>Bounded memory</h2>
 * At most {@link #maxKeys()} keys are tracked. A key is <em>idle</em> once its bucket has refilled
 * completely; forgetting an idle key changes no decision, because a new bucket starts full, so
 * idle keys are the only ones ever evicted and eviction never grants extra tokens. Idle keys are
 * evicted by a sweep of the table that runs when a new key finds the table full (at most one
 * sweep at a time, and no more often than every 100 ms), or when {@link #cleanUp()} is called.
 *
 * <p>When the table is full and no key is idle, a new key is refused with
 * {@link io.sluice.RejectReason#RATE_LIMITED} and a Retry-After equal to the time until the next
 * sweep may free room: when the tracked key closest to full has refilled (or 100 ms after the last
 * sweep, if later). Tracked keys are never affected. {@link #snapshot()} counts these refusals
 * ({@link KeyedRateLimiterSnapshot#rejectedNewKeys()}) and the evictions; a server may answer them
 * with 429 like any other quota refusal, or size the table so that they do not happen.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread. For a tracked key, {@link #tryAcquire(Object, int)}
 * costs one {@link java.util.concurrent.ConcurrentHashMap#get} (keys should cache their hash, as
 * {@code String} does) plus the lock-free, allocation-free path of {@link RateLimiter}. A new key
 * allocates its bucket and its map entry. Eviction freezes a bucket with a compare-and-set from the
 * exact state it judged idle, so an admission racing with the eviction either lands before it (and
 * the bucket is no longer idle, so it stays) or retries on a new bucket that is as full as the old.
 *
 * @param <K> the key type; keys must implement {@code equals} and {@code hashCode} and must not be
 *     null
 */
@SuppressWarnings("exports") // @CheckReturnValue's module is required statically
public interface KeyedRateLimiter<K> {

  /** Returns a builder; see {@link Builder} for the settings and their defaults. */
  static Builder newBuilder() {
    return new Builder();
  }

  /** Tries to take one permit from the key's bucket; returns a permit ticket or a rejection. */
  @CheckReturnValue
  long tryAcquire(K key);

  /**
   * Tries to take {@code cost} tokens at once from the key's bucket; returns a permit ticket or a
   * {@code RATE_LIMITED} rejection.
   *
   * @param cost in {@code [1, burst]}
   * @throws IllegalArgumentException if {@code key} is null or {@code cost} is out of range
   */
  @CheckReturnValue
  long tryAcquire(K key, int cost);

  /** Returns the permits the key could take now; {@link #burst()} for a key not tracked. */
  long availablePermits(K key);

  /** Returns the configured burst of every key's bucket. */
  int burst();

  /** Returns the number of keys tracked now, in {@code [0, maxKeys]}. */
  int keyCount();

  /** Returns the most keys tracked at once. */
  int maxKeys();

  /**
   * Returns the table's state and what its bound cost (evictions, refused new keys), the only way
   * to read those counts. The default is built from this interface's live methods, with both
   * counts 0; a limiter built by {@link #newBuilder()} reports exact counts, and a decorator must
   * forward this method, or it hides them.
   */
  default KeyedRateLimiterSnapshot snapshot() {
    return KeyedRateLimiterSnapshot.of(burst(), maxKeys(), keyCount(), 0L, 0L);
  }

  /**
   * Evicts every idle key now and returns how many it evicted; returns 0 at once if another sweep
   * is running. Visits every key: for a scheduled clean-up, not for every request.
   */
  int cleanUp();

  /**
   * Configures and builds a {@link KeyedRateLimiter}: a token bucket per key, each with the same
   * rate and burst. Every setter checks its argument at once, and {@link #build()} checks the
   * combination, with an {@link IllegalArgumentException} that names the parameter, the value and
   * the allowed range.
   *
   * <table>
   *   <caption>Settings</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #rate}</td><td>none: required</td></tr>
   *   <tr><td>{@link #burst}</td><td>the permits of one period, at most 1,000,000</td></tr>
   *   <tr><td>{@link #maxKeys}</td><td>10,000</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link io.sluice.NanoClock#system()}</td></tr>
   * </table>
   *
   * <p>{@link #build()} may be called more than once, each time for a new table. Not thread-safe;
   * build on one thread, then share the limiter.
   */
  final class Builder extends BucketBuilder<Builder> {
    private int maxKeys = 10_000;

    Builder() {}

    /**
     * Sets the most keys tracked at once; see {@link KeyedRateLimiter} for what happens when they
     * are all in use.
     *
     * @param maxKeys in [1, 16777216]
     */
    public Builder maxKeys(int maxKeys) {
      this.maxKeys = Args.inRange("maxKeys", maxKeys, 1, MAX_KEYS);
      return this;
    }

    /**
     * Builds a table of per-key token buckets; every key starts with a full bucket.
     *
     * @param <K> the key type
     * @throws IllegalArgumentException if no rate was set, or the burst does not fit the rate
     */
    public <K> KeyedRateLimiter<K> build() {
      return new BoundedKeyedRateLimiter<>(gcra(1), maxKeys);
    }
  }
}
