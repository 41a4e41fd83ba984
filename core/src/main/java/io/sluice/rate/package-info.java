/**
 * Rate limits and per-key quotas: token buckets that refuse with the exact time until a token
 * exists.
 *
 * <p>{@link io.sluice.rate.RateLimiter} is one bucket; {@link io.sluice.rate.KeyedRateLimiter}
 * gives every key (tenant, API key, client address) its own bucket in a table of bounded size that
 * evicts only idle keys. {@link io.sluice.rate.TokenQuota} is a keyed quota for work whose cost
 * is known only at its end (an LLM request's tokens): it charges an estimate and reconciles it
 * with the actual cost, exactly once per admission. All three are built by
 * {@link io.sluice.rate.RateLimiter.Builder}.
 *
 * <p>The algorithm is GCRA (the generic cell rate algorithm): a bucket is one 64-bit word, the
 * theoretical arrival time of the next permit, updated with a single compare-and-set; time is kept
 * in scaled integer units so that rates such as 7 per 3 seconds are exact. Rejections are primitive
 * {@code long} tickets ({@link io.sluice.Ticket}) with {@link io.sluice.RejectReason#RATE_LIMITED},
 * the same language as the concurrency {@link io.sluice.Limiter}: over HTTP a quota refusal is a
 * 429, a concurrency refusal a 503, and both carry {@code Retry-After}.
 */
package io.sluice.rate;
