package io.sluice.client;

import io.sluice.internal.Args;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter, floored by what the server (or a circuit breaker) asked
 * for: retry {@code n} (counting from 0) waits a uniform random time in {@code [0, min(cap, base *
 * 2^n)]}, but never less than the floor. Full jitter spreads the retries of many clients over the
 * whole interval, so they do not come back in waves; the floor means a client never retries sooner
 * than a {@code Retry-After} it was given.
 *
 * <p>Immutable and safe from any thread; the randomness comes from the caller (or from
 * {@link ThreadLocalRandom}), so that tests can pass a seeded generator. Allocation-free.
 */
public final class Backoff {
  private static final Duration MAX = Duration.ofDays(1);

  private final long baseNanos;
  private final long capNanos;

  private Backoff(long baseNanos, long capNanos) {
    this.baseNanos = baseNanos;
    this.capNanos = capNanos;
  }

  /**
   * Returns a backoff whose ceiling starts at {@code base} and doubles per retry up to {@code cap}.
   *
   * @param base in [1 ns, 1 day]
   * @param cap in [base, 1 day]
   */
  public static Backoff exponential(Duration base, Duration cap) {
    long baseNanos = Args.nanosInRange("base", base, Duration.ofNanos(1), MAX);
    long capNanos = Args.nanosInRange("cap", cap, base, MAX);
    return new Backoff(baseNanos, capNanos);
  }

  /**
   * Returns the upper end of the jitter interval of retry {@code retry}: {@code min(cap, base *
   * 2^retry)}.
   *
   * @param retry zero or more: 0 for the first retry
   */
  public long ceilingNanos(int retry) {
    Args.inRange("retry", retry, 0, Integer.MAX_VALUE);
    if (retry >= Long.numberOfLeadingZeros(baseNanos) - 1) {
      return capNanos;
    }
    return Math.min(capNanos, baseNanos << retry);
  }

  /**
   * Returns the wait before retry {@code retry}: uniform in {@code [0, ceilingNanos(retry)]}, but at
   * least {@code floorNanos}.
   *
   * @param retry zero or more: 0 for the first retry
   * @param floorNanos the least wait, e.g. a parsed {@code Retry-After}; zero or less for none
   * @param random the source of jitter
   */
  public long delayNanos(int retry, long floorNanos, RandomGenerator random) {
    Args.notNull("random", random);
    long ceiling = ceilingNanos(retry);
    long jittered = random.nextLong(ceiling + 1);
    return Math.max(jittered, floorNanos);
  }

  /** As {@link #delayNanos(int, long, RandomGenerator)} with {@link ThreadLocalRandom}. */
  public long delayNanos(int retry, long floorNanos) {
    return delayNanos(retry, floorNanos, ThreadLocalRandom.current());
  }

  @Override
  public String toString() {
    return "Backoff[base=" + baseNanos + "ns, cap=" + capNanos + "ns, full jitter]";
  }
}
