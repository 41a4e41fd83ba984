package io.sluice.client;

import io.sluice.breaker.CircuitBreaker;
import io.sluice.internal.Args;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
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

  RetryPolicy(Builder builder, RetryBudget budget, RefusalClassifier classifier) {
    this.maxAttempts = builder.maxAttempts;
    this.backoff = builder.backoff;
    this.maxRetryAfterNanos = builder.maxRetryAfterNanos;
    this.budget = budget;
    this.throttle = builder.throttle;
    this.breaker = builder.breaker;
    this.random = builder.random;
    this.classifier = classifier;
  }

  /** Returns a builder; see {@link Builder} for the settings and their defaults. */
  public static Builder newBuilder() {
    return new Builder();
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
  public static final class Builder {
    int maxAttempts = 3;
    Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10));
    long maxRetryAfterNanos = Duration.ofSeconds(60).toNanos();
    RetryBudget budget;
    AdaptiveThrottle throttle;
    CircuitBreaker breaker;
    RandomGenerator random;
    RefusalClassifier classifier;

    Builder() {}

    /**
     * Sets the most attempts per call, the first one included (the SRE book suggests at most 3).
     *
     * @param attempts in [1, 10]
     */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = Args.inRange("maxAttempts", attempts, 1, 10);
      return this;
    }

    /** Sets the backoff between attempts. */
    public Builder backoff(Backoff backoff) {
      this.backoff = Args.notNull("backoff", backoff);
      return this;
    }

    /**
     * Sets the longest wait a call accepts: when the server's Retry-After (or the breaker's
     * remaining open time) is longer, the call gives up instead of waiting.
     *
     * @param max in [0, 1 day]
     */
    public Builder maxRetryAfter(Duration max) {
      this.maxRetryAfterNanos = Args.nanosInRange("maxRetryAfter", max, Duration.ZERO,
          Duration.ofDays(1));
      return this;
    }

    /** Sets the retry budget; share one budget among the policies that call the same downstream. */
    public Builder budget(RetryBudget budget) {
      this.budget = Args.notNull("budget", budget);
      return this;
    }

    /** Sets an adaptive throttle consulted before every attempt. */
    public Builder throttle(AdaptiveThrottle throttle) {
      this.throttle = Args.notNull("throttle", throttle);
      return this;
    }

    /** Sets a circuit breaker consulted before every attempt and told every outcome. */
    public Builder breaker(CircuitBreaker breaker) {
      this.breaker = Args.notNull("breaker", breaker);
      return this;
    }

    /**
     * Sets the source of jitter. It is used from every thread that drives a call: give a
     * thread-safe generator, or a seeded one in single-threaded tests.
     */
    public Builder random(RandomGenerator random) {
      this.random = Args.notNull("random", random);
      return this;
    }

    /**
     * Sets how {@link RetryCall#onResponse} tells a provider's refusals apart (a rate limit, an
     * overload, an exhausted quota); it is shared by every call of the policy, so it must be
     * thread-safe.
     */
    public Builder classifier(RefusalClassifier classifier) {
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
}
