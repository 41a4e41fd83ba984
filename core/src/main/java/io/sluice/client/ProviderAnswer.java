package io.sluice.client;

import io.sluice.Outcome;

/**
 * What a provider's answer to one attempt means for retrying it: its {@link Kind}, and the wait
 * the provider named, if any ({@link RetryAfter#ABSENT} otherwise). A {@link RefusalClassifier}
 * makes one from a response; {@link RetryCall#onAnswer} acts on it.
 *
 * <p>Immutable; the answers without a wait are shared constants, so classifying a success
 * allocates nothing.
 *
 * @param kind what the answer means
 * @param waitNanos the least wait before the next attempt that the provider named (zero or more),
 *     or {@link RetryAfter#ABSENT}
 */
public record ProviderAnswer(Kind kind, long waitNanos) {

  /** What an answer means for the call. */
  public enum Kind {
    /** A response to use (1xx to 3xx): the call is done. */
    ACCEPTED,
    /** The request itself is refused (a 4xx not listed below): retrying it cannot help. */
    REJECTED,
    /** A rate or concurrency limit refused it (429): retry after the wait the provider named. */
    RATE_LIMITED,
    /** The provider is overloaded (503, 529): back off with jitter, never sooner than its wait. */
    OVERLOADED,
    /** A spend, billing or usage quota is exhausted (402, or a 429 that says so): never retried. */
    QUOTA_EXHAUSTED,
    /** The attempt failed (5xx, 408, 409, an unknown status): retried with backoff. */
    FAILED
  }

  private static final ProviderAnswer ACCEPTED =
      new ProviderAnswer(Kind.ACCEPTED, RetryAfter.ABSENT);
  private static final ProviderAnswer REJECTED =
      new ProviderAnswer(Kind.REJECTED, RetryAfter.ABSENT);
  private static final ProviderAnswer QUOTA_EXHAUSTED =
      new ProviderAnswer(Kind.QUOTA_EXHAUSTED, RetryAfter.ABSENT);
  private static final ProviderAnswer RATE_LIMITED =
      new ProviderAnswer(Kind.RATE_LIMITED, RetryAfter.ABSENT);
  private static final ProviderAnswer OVERLOADED =
      new ProviderAnswer(Kind.OVERLOADED, RetryAfter.ABSENT);
  private static final ProviderAnswer FAILED = new ProviderAnswer(Kind.FAILED, RetryAfter.ABSENT);

  /**
   * Checks the components.
   *
   * @throws IllegalArgumentException if {@code kind} is null or {@code waitNanos} is below -1
   */
  public ProviderAnswer {
    if (kind == null) {
      throw new IllegalArgumentException("kind must not be null");
    }
    if (waitNanos < RetryAfter.ABSENT) {
      throw new IllegalArgumentException("waitNanos must be in [-1 (absent), " + Long.MAX_VALUE
          + "] but was " + waitNanos);
    }
  }

  /** Returns the answer of a response to use. */
  public static ProviderAnswer accepted() {
    return ACCEPTED;
  }

  /** Returns the answer of a request that retrying cannot help. */
  public static ProviderAnswer rejected() {
    return REJECTED;
  }

  /** Returns the answer of an exhausted spend, billing or usage quota. */
  public static ProviderAnswer quotaExhausted() {
    return QUOTA_EXHAUSTED;
  }

  /** Returns the answer of a rate or concurrency limit that named a wait (or ABSENT). */
  public static ProviderAnswer rateLimited(long waitNanos) {
    return waitNanos == RetryAfter.ABSENT ? RATE_LIMITED
        : new ProviderAnswer(Kind.RATE_LIMITED, waitNanos);
  }

  /** Returns the answer of an overloaded provider that named a wait (or ABSENT). */
  public static ProviderAnswer overloaded(long waitNanos) {
    return waitNanos == RetryAfter.ABSENT ? OVERLOADED
        : new ProviderAnswer(Kind.OVERLOADED, waitNanos);
  }

  /** Returns the answer of a failed attempt that named a wait (or ABSENT). */
  public static ProviderAnswer failed(long waitNanos) {
    return waitNanos == RetryAfter.ABSENT ? FAILED : new ProviderAnswer(Kind.FAILED, waitNanos);
  }

  /** Returns whether another attempt may help: rate limited, overloaded or failed. */
  public boolean retryable() {
    return kind == Kind.RATE_LIMITED || kind == Kind.OVERLOADED || kind == Kind.FAILED;
  }

  /**
   * Returns the outcome to release an outbound {@link io.sluice.Limiter}'s permit with: SUCCESS for
   * an accepted answer (a latency sample), DROPPED for a rate limit or an overload (the provider's
   * capacity is reached: the limit shrinks), IGNORED for the rest (they say nothing about
   * capacity).
   */
  public Outcome outcome() {
    switch (kind) {
      case ACCEPTED:
        return Outcome.SUCCESS;
      case RATE_LIMITED:
      case OVERLOADED:
        return Outcome.DROPPED;
      default:
        return Outcome.IGNORED;
    }
  }
}
