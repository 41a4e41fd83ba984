package io.sluice.client;

import java.time.Clock;

/**
 * Tells a provider's refusals apart, so that a {@link RetryCall} waits for a rate limit, backs off
 * from an overload and never retries an exhausted quota. Supply your own for a provider whose
 * answers {@link #standard(Clock)} does not know, and set it with {@link
 * RetryPolicy.Builder#classifier}.
 *
 * <pre>{@code
 * RefusalClassifier mine = (status, headers, body) -> status == 418
 *     ? ProviderAnswer.quotaExhausted()
 *     : RefusalClassifier.standard().classify(status, headers, body);
 * }</pre>
 *
 * <p>Implementations must be thread-safe (a policy's calls share one) and should never throw:
 * junk in a response is an answer without a wait, not an error.
 */
@FunctionalInterface
public interface RefusalClassifier {

  /**
   * Classifies a response.
   *
   * @param status the HTTP status code
   * @param headers the response's header fields
   * @param body the response body, or its beginning, or null if it was not read (a stream)
   */
  ProviderAnswer classify(int status, ResponseHeaders headers, String body);

  /**
   * Returns the classifier for OpenAI-compatible and Anthropic-style APIs, and plain HTTP.
   *
   * <ul>
   *   <li>1xx to 3xx: accepted.
   *   <li>402, and a 400, 403 or 429 whose JSON body has a {@code type}, {@code code} or
   *       {@code error_code} of {@code insufficient_quota}, {@code billing_hard_limit_reached},
   *       {@code billing_not_active}, {@code billing_error} or
   *       {@code enforced_spend_limit_reached}: quota exhausted.
   *   <li>Any other 429: rate limited. The wait is the longest of {@code retry-after-ms},
   *       {@code Retry-After}, and the reset fields of the limits that are exhausted (remaining
   *       0): {@code x-ratelimit-reset-requests} and {@code -tokens} (durations such as
   *       {@code "6m0s"}), {@code anthropic-ratelimit-requests-reset}, {@code -tokens-reset},
   *       {@code -input-tokens-reset} and {@code -output-tokens-reset} (RFC 3339 date-times). If
   *       none says it is exhausted and no Retry-After was given, the longest reset named.
   *   <li>503 and 529: overloaded, with the wait of {@code retry-after-ms} or {@code Retry-After}
   *       if given.
   *   <li>408, 409, any other 5xx, and a status outside 100 to 599: failed.
   *   <li>Any other 4xx: rejected.
   * </ul>
   *
   * Malformed fields are ignored; a negative remaining count (some gateways send -1 for "not
   * tracked") says nothing.
   *
   * @param wallClock the clock that HTTP-dates and RFC 3339 resets are measured against
   */
  static RefusalClassifier standard(Clock wallClock) {
    if (wallClock == null) {
      throw new IllegalArgumentException("wallClock must not be null");
    }
    return new ProviderRefusals(wallClock);
  }

  /** As {@link #standard(Clock)} with {@link Clock#systemUTC()}. */
  static RefusalClassifier standard() {
    return standard(Clock.systemUTC());
  }
}
