/**
 * The client side of overload: honour the server's {@code Retry-After}, back off with jitter, and
 * keep retries from multiplying the load on a struggling backend.
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
 * </ul>
 */
package io.sluice.client;
