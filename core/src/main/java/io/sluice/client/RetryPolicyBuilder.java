package io.sluice.client;

import io.sluice.breaker.CircuitBreaker;
import io.sluice.internal.Args;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Configures and builds a {@link RetryPolicy}. Every setter checks its argument at once with an
 * {@link IllegalArgumentException} that names the parameter, the value and the allowed range.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>{@link #maxAttempts}</td><td>3 (the first attempt and two retries)</td></tr>
 *   <tr><td>{@link #backoff}</td><td>{@code Backoff.exponential(100 ms, 10 s)}</td></tr>
 *   <tr><td>{@link #maxRetryAfter}</td><td>60 s</td></tr>
 *   <tr><td>{@link #budget}</td><td>{@code RetryBudget.of(0.1, 10)}, one per policy</td></tr>
 *   <tr><td>{@link #throttle}</td><td>none</td></tr>
 *   <tr><td>{@link #breaker}</td><td>none</td></tr>
 *   <tr><td>{@link #random}</td><td>{@link ThreadLocalRandom}</td></tr>
 *   <tr><td>{@link #classifier}</td><td>{@link RefusalClassifier#standard()}</td></tr>
 * </table>
 *
 * <p>Not thread-safe; build on one thread, then share the policy.
 */
public final class RetryPolicyBuilder {
  int maxAttempts = 3;
  Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
  long maxRetryAfterNanos = Duration.ofSeconds(60).toNanos();
  RetryBudget budget;
  AdaptiveThrottle throttle;
  CircuitBreaker breaker;
  RandomGenerator random;
  RefusalClassifier classifier;

  RetryPolicyBuilder() {}

  /**
   * Sets the most attempts per call, the first one included (the SRE book suggests at most 3).
   *
   * @param attempts in [1, 10]
   */
  public RetryPolicyBuilder maxAttempts(int attempts) {
    this.maxAttempts = Args.inRange("maxAttempts", attempts, 1, 10);
    return this;
  }

  /** Sets the backoff between attempts. */
  public RetryPolicyBuilder backoff(Backoff backoff) {
    this.backoff = Args.notNull("backoff", backoff);
    return this;
  }

  /**
   * Sets the longest wait a call accepts: when the server's Retry-After (or the breaker's
   * remaining open time) is longer, the call gives up instead of waiting.
   *
   * @param max in [0, 1 day]
   */
  public RetryPolicyBuilder maxRetryAfter(Duration max) {
    this.maxRetryAfterNanos = Args.nanosInRange("maxRetryAfter", max, Duration.ZERO,
        Duration.ofDays(1));
    return this;
  }

  /** Sets the retry budget; share one budget among the policies that call the same downstream. */
  public RetryPolicyBuilder budget(RetryBudget budget) {
    this.budget = Args.notNull("budget", budget);
    return this;
  }

  /** Sets an adaptive throttle consulted before every attempt. */
  public RetryPolicyBuilder throttle(AdaptiveThrottle throttle) {
    this.throttle = Args.notNull("throttle", throttle);
    return this;
  }

  /** Sets a circuit breaker consulted before every attempt and told every outcome. */
  public RetryPolicyBuilder breaker(CircuitBreaker breaker) {
    this.breaker = Args.notNull("breaker", breaker);
    return this;
  }

  /**
   * Sets the source of jitter. It is used from every thread that drives a call: give a
   * thread-safe generator, or a seeded one in single-threaded tests.
   */
  public RetryPolicyBuilder random(RandomGenerator random) {
    this.random = Args.notNull("random", random);
    return this;
  }

  /**
   * Sets how {@link RetryCall#onResponse} tells a provider's refusals apart (a rate limit, an
   * overload, an exhausted quota); it is shared by every call of the policy, so it must be
   * thread-safe.
   */
  public RetryPolicyBuilder classifier(RefusalClassifier classifier) {
    this.classifier = Args.notNull("classifier", classifier);
    return this;
  }

  /**
   * Builds a policy; the builder may build more. Defaults are made per policy and never written
   * back, so two policies built without {@link #budget} each get a budget of their own.
   */
  public RetryPolicy build() {
    RetryBudget chosenBudget = budget != null ? budget : RetryBudget.of(0.1, 10);
    RefusalClassifier chosenClassifier =
        classifier != null ? classifier : RefusalClassifier.standard();
    return new RetryPolicy(this, chosenBudget, chosenClassifier);
  }
}
