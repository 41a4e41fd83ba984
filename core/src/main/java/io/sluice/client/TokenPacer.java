package io.sluice.client;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import io.sluice.rate.TokenQuota;
import java.time.Duration;

/**
 * Paces the tokens a client sends to an LLM provider under the account's tokens-per-minute limit,
 * so that the provider never has to refuse for it: a token bucket counted in tokens, charged an
 * estimate before each request is sent and reconciled with the count the provider reports after.
 *
 * <pre>{@code
 * long reservation = pacer.tryAcquire(promptTokens + maxTokens);
 * if (Ticket.isRejection(reservation)) {
 *   // refuse now, or wait Ticket.retryAfterNanos(reservation) (exact) and try again
 * }
 * HttpResponse<String> response = http.send(request, BodyHandlers.ofString());
 * pacer.onResponse(name -> response.headers().firstValue(name).orElse(null));
 * pacer.reconcile(reservation, usedTokens(response));   // 0 if the provider refused it
 * }</pre>
 *
 * <p>Refusals carry {@code RATE_LIMITED} and the exact time until the estimate fits (a debt
 * included), so a client may either fail fast or wait exactly that long; see
 * {@link TokenQuota} for refunds, debts and the guarantee, which this pacer inherits: over any run
 * from a full bucket, the tokens it lets through never exceed {@code burst + tokensPerMinute x
 * minutes} plus the debt that reconciliations reported. Reconcile with the count the provider
 * charges: if it charges the estimate in full whatever the answer's length, reconcile with the
 * estimate.
 *
 * <p>{@link #onResponse} reads the provider's own view of the limit, where it sends one
 * ({@code x-ratelimit-remaining-tokens} with {@code x-ratelimit-limit-tokens}, or
 * {@code anthropic-ratelimit-tokens-remaining} with {@code anthropic-ratelimit-tokens-limit}), and
 * lowers what the pacer may let through to {@code remaining x burst / limit}: the provider's
 * remaining tokens, scaled to this pacer's share when several clients share one account (each
 * with a burst of its share). It only ever lowers the pacer's view, never raises it.
 *
 * <p>Thread-safe: share one pacer among all the threads that call one account (and model); see
 * {@link TokenQuota} for the lock-free, allocation-free admission and reconciliation.
 */
public final class TokenPacer {
  private static final String ACCOUNT = "account";
  private static final String[][] FIELDS = {
      {"x-ratelimit-remaining-tokens", "x-ratelimit-limit-tokens"},
      {"anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-limit"},
  };

  private final TokenQuota<String> bucket;
  private final long tokensPerMinute;

  private TokenPacer(TokenQuota<String> bucket, long tokensPerMinute) {
    this.bucket = bucket;
    this.tokensPerMinute = tokensPerMinute;
  }

  /**
   * Returns a full pacer.
   *
   * @param tokensPerMinute the account's limit, or this client's share of it, in [1, 10^9]
   * @param burst the most tokens sent at once after a quiet spell, in [1, tokensPerMinute]: the
   *     largest estimate admitted; smaller spreads requests more evenly
   * @param clock the clock; tests pass sluice-testing's {@code ManualClock}
   */
  public static TokenPacer perMinute(long tokensPerMinute, int burst, NanoClock clock) {
    Args.inRange("tokensPerMinute", tokensPerMinute, 1, 1_000_000_000L);
    Args.inRange("burst", burst, 1, (int) tokensPerMinute);
    TokenQuota<String> bucket = TokenQuota.newBuilder()
        .rate(tokensPerMinute, Duration.ofMinutes(1))
        .burst(burst)
        .maxKeys(1)
        .clock(Args.notNull("clock", clock))
        .build();
    return new TokenPacer(bucket, tokensPerMinute);
  }

  /**
   * Tries to take {@code estimatedTokens} before sending a request; returns a reservation (pass it
   * to {@link #reconcile} exactly once) or a rejection: {@code RATE_LIMITED} with the exact time
   * until the estimate fits.
   *
   * @param estimatedTokens in {@code [1, burst]}: prompt tokens plus the most output tokens
   * @throws IllegalArgumentException if {@code estimatedTokens} is out of range
   */
  public long tryAcquire(int estimatedTokens) {
    if (estimatedTokens < 1 || estimatedTokens > bucket.burst()) {
      throw new IllegalArgumentException("estimatedTokens must be in [1, " + bucket.burst()
          + "] but was " + estimatedTokens);
    }
    return bucket.tryAcquire(ACCOUNT, estimatedTokens);
  }

  /**
   * Corrects a reservation with the tokens the provider counted (0 if it refused the request);
   * returns false, changing nothing, for a reservation already reconciled or not of this pacer.
   *
   * @param actualTokens zero or more
   * @throws IllegalArgumentException if {@code actualTokens} is negative
   */
  public boolean reconcile(long reservation, int actualTokens) {
    if (actualTokens < 0) {
      throw new IllegalArgumentException(
          "actualTokens must be in [0, " + Integer.MAX_VALUE + "] but was " + actualTokens);
    }
    return bucket.reconcile(reservation, actualTokens);
  }

  /**
   * Reads the provider's remaining and limit token counts from a response, where present and
   * well-formed, and lowers what the pacer may let through accordingly (see {@link #observe}).
   * Junk, negative and missing fields are ignored.
   */
  public void onResponse(ResponseHeaders headers) {
    if (headers == null) {
      return;
    }
    for (String[] family : FIELDS) {
      long remaining = count(headers.first(family[0]));
      if (remaining >= 0) {
        observe(remaining, count(headers.first(family[1])));
      }
    }
  }

  /**
   * Lowers what the pacer may let through to {@code remaining x burst / limit} (to
   * {@code remaining} if the limit is unknown: zero or less); never raises it.
   *
   * @param remainingTokens the provider's remaining tokens, zero or more
   * @param limitTokens the provider's limit, or zero or less if it is unknown
   * @throws IllegalArgumentException if {@code remainingTokens} is negative
   */
  public void observe(long remainingTokens, long limitTokens) {
    Args.inRange("remainingTokens", remainingTokens, 0, Long.MAX_VALUE);
    long burst = bucket.burst();
    long allowed;
    if (limitTokens <= 0) {
      allowed = remainingTokens;
    } else if (remainingTokens >= limitTokens) {
      allowed = burst;
    } else if (remainingTokens < 1L << 32) {
      allowed = remainingTokens * burst / limitTokens;   // below 2^32 * 2^30: no overflow
    } else {
      allowed = (long) Math.floor((double) remainingTokens / limitTokens * burst);
    }
    bucket.capAvailable(ACCOUNT, Math.min(allowed, burst));
  }

  /** Returns the tokens that could be sent now, in {@code [0, burst]}. */
  public long availableTokens() {
    return bucket.availableCost(ACCOUNT);
  }

  /** Returns the tokens owed beyond an empty bucket (reconciliations above their estimates). */
  public long debt() {
    return bucket.debt(ACCOUNT);
  }

  /** Returns the reservations not yet reconciled. */
  public long pending() {
    return bucket.pending();
  }

  /** Returns the burst: the largest estimate admitted. */
  public int burst() {
    return bucket.burst();
  }

  /** Returns the configured tokens per minute. */
  public long tokensPerMinute() {
    return tokensPerMinute;
  }

  /** A count in a header field: a non-negative decimal integer, or -1 for anything else. */
  private static long count(String value) {
    if (value == null) {
      return -1L;
    }
    String field = value.strip();
    if (field.isEmpty() || field.length() > 18) {
      return -1L;
    }
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c < '0' || c > '9') {
        return -1L;
      }
    }
    return Long.parseLong(field);
  }

  @Override
  public String toString() {
    return "TokenPacer[" + tokensPerMinute + " per minute, burst " + bucket.burst()
        + ", available " + availableTokens() + ", debt " + debt() + "]";
  }
}
