package io.sluice.client;

import io.sluice.breaker.CircuitBreaker;
import java.util.random.RandomGenerator;

/**
 * How a client retries calls to one downstream: a bounded number of attempts, exponential backoff
 * with full jitter floored by any Retry-After, a shared {@link RetryBudget}, and optionally an
 * {@link AdaptiveThrottle} and a {@link CircuitBreaker} consulted before every attempt.
 *
 * <p>Each logical request gets a {@link RetryCall} from {@link #newCall()}, which drives the loop:
 *
 * <pre>{@code
 * RetryCall call = policy.newCall();
 * for (;;) {
 *   long permit = call.tryAttempt();                  // breaker and throttle decide
 *   if (Ticket.isPermit(permit)) {
 *     HttpResponse<String> r = http.send(request, BodyHandlers.ofString());
 *     if (r.statusCode() == 503 || r.statusCode() == 429) {
 *       call.onRefused(permit, RetryAfter.parseNanos(r.headers().firstValue("Retry-After").orElse(null), clock));
 *     } else if (r.statusCode() >= 500) {
 *       call.onFailure(permit);
 *     } else {
 *       call.onSuccess(permit);
 *       return r;
 *     }
 *   }
 *   long delay = call.nextDelayNanos();               // never sooner than a Retry-After
 *   if (delay == RetryCall.GIVE_UP) {
 *     throw new IOException("gave up after " + call.attempts() + " attempts");
 *   }
 *   TimeUnit.NANOSECONDS.sleep(delay);
 * }
 * }</pre>
 *
 * <p>Against an LLM provider (or any API whose refusals differ in kind), let the policy's
 * {@link RefusalClassifier} read each response: {@code call.onResponse(permit, status, headers,
 * body)} waits out a rate limit, backs off from an overload, and never retries an exhausted quota.
 *
 * <p>Immutable and safe from any thread; the budget, throttle and breaker it holds are shared by
 * all its calls (which is the point: they see the whole client's traffic). A {@link RetryCall} is
 * confined to the thread (or the sequential chain of callbacks) that drives it.
 */
public final class RetryPolicy {
  final int maxAttempts;
  final Backoff backoff;
  final long maxRetryAfterNanos;
  final RetryBudget budget;
  final AdaptiveThrottle throttle;
  final CircuitBreaker breaker;
  final RandomGenerator random;
  final RefusalClassifier classifier;

  RetryPolicy(RetryPolicyBuilder builder, RetryBudget budget, RefusalClassifier classifier) {
    this.maxAttempts = builder.maxAttempts;
    this.backoff = builder.backoff;
    this.maxRetryAfterNanos = builder.maxRetryAfterNanos;
    this.budget = budget;
    this.throttle = builder.throttle;
    this.breaker = builder.breaker;
    this.random = builder.random;
    this.classifier = classifier;
  }

  /** Returns a builder; see {@link RetryPolicyBuilder} for the settings and their defaults. */
  public static RetryPolicyBuilder newBuilder() {
    return new RetryPolicyBuilder();
  }

  /** Starts a logical request (its first attempt and any retries); counts it for the budget. */
  public RetryCall newCall() {
    budget.onRequest();
    return new RetryCall(this);
  }

  /** Returns the most attempts a call makes, the first one included. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Returns the classifier that {@link RetryCall#onResponse} applies. */
  public RefusalClassifier classifier() {
    return classifier;
  }

  /** Returns the retry budget shared by this policy's calls. */
  public RetryBudget budget() {
    return budget;
  }

  @Override
  public String toString() {
    return "RetryPolicy[maxAttempts=" + maxAttempts + ", " + backoff + ", " + budget
        + (throttle != null ? ", " + throttle : "") + (breaker != null ? ", " + breaker : "") + "]";
  }
}
