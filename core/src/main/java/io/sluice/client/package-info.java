/**
 * The client side of overload: honour the server's {@code Retry-After}, back off with jitter, and
 * keep retries from multiplying the load on a struggling backend; and, for a service that calls
 * an LLM provider, tell the provider's refusals apart and pace the tokens it sends.
 *
 * <ul>
 *   <li>{@link io.sluice.client.RetryAfter} parses the header (delay-seconds and the three
 *       HTTP-date formats of RFC 9110) against a {@link java.time.Clock}.
 *   <li>{@link io.sluice.client.Backoff}: exponential backoff with full jitter, never shorter than a
 *       given floor.
 *   <li>{@link io.sluice.client.RetryBudget}: retries at most a fraction (10%) of requests.
 *   <li>{@link io.sluice.client.AdaptiveThrottle}: the SRE book's client-side throttling,
 *       {@code P = max(0, (requests - K * accepts) / (requests + 1))}.
 *   <li>{@link io.sluice.client.RetryPolicy} and {@link io.sluice.client.RetryCall} compose them
 *       with a {@link io.sluice.breaker.CircuitBreaker} into one loop around any HTTP client.
 *   <li>{@link io.sluice.client.RefusalClassifier} reads a response into a
 *       {@link io.sluice.client.ProviderAnswer}: a rate limit (wait the time the provider named,
 *       including its {@code x-ratelimit-reset-*} and {@code anthropic-ratelimit-*-reset}
 *       fields), an overload (back off with jitter), an exhausted quota (never retry).
 *   <li>{@link io.sluice.client.TokenPacer}: a client-side token bucket counted in tokens, charged
 *       an estimate before sending and reconciled after, following the provider's remaining
 *       tokens.
 * </ul>
 */
package io.sluice.client;
