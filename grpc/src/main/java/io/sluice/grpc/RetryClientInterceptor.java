package io.sluice.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.sluice.client.AdaptiveThrottle;
import io.sluice.client.RetryPolicy;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

/**
 * The client's side of overload for gRPC: retries a call the server refused no sooner than its
 * {@code grpc-retry-pushback-ms}, within the retry budget of a {@link RetryPolicy}, and refuses
 * calls locally, failing fast, while the policy's {@link AdaptiveThrottle} says the server has been
 * refusing.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.newBuilder()
 *     .budget(RetryBudget.of(0.1, 10))                      // retries at most 10% of calls
 *     .throttle(AdaptiveThrottle.newBuilder().build())      // refuse locally while refused
 *     .build();
 * Channel channel = ClientInterceptors.intercept(managedChannel,
 *     RetryClientInterceptor.newBuilder(policy).scheduler(scheduler).build());
 * }</pre>
 *
 * <h2>What each call meets</h2>
 * <ul>
 *   <li>Every attempt asks the policy first ({@link io.sluice.client.RetryCall#tryAttempt()}): an
 *       open circuit breaker or the adaptive throttle refuses it locally, and the call ends at once
 *       with {@code UNAVAILABLE} and a description that says so; nothing is sent.
 *   <li>A call ended by the server with {@code UNAVAILABLE} or {@code RESOURCE_EXHAUSTED} is
 *       <em>refused</em>: it counts against the throttle and the breaker. Every other status is an
 *       answer; {@code UNKNOWN}, {@code INTERNAL}, {@code DATA_LOSS} and
 *       {@code DEADLINE_EXCEEDED} count as failures for the breaker.
 *   <li>A refused call is retried when all of these hold, else the refusal reaches the
 *       application as it came: the method sends one request message (unary or server
 *       streaming), which the call keeps for the retry; no response headers nor message has
 *       arrived (a stream that started is never replayed); the refusal carries a valid pushback
 *       (a non-negative integer; an invalid one means "do not retry", as gRPC's retry design A6
 *       says), or it is {@code UNAVAILABLE} without pushback and {@link Builder#retryWithoutPushback}
 *       accepts the method (by default: a method marked idempotent or safe, since such a refusal
 *       may come from a server that did the work); the policy has attempts and budget left
 *       ({@link io.sluice.client.RetryCall#nextDelayNanos()}: backoff with full jitter, never
 *       sooner than the pushback, never longer than its {@code maxRetryAfter}); and the wait ends
 *       before the call's deadline.
 *   <li>Client and bidirectional streaming calls are throttled and counted, never retried.
 * </ul>
 * A retryable call starts its first attempt when the application half-closes it, with its one
 * message in hand. Each attempt is a new call on the next channel, with the same options and
 * headers, in the application's {@link io.grpc.Context}.
 *
 * <p>Use it instead of the retries of gRPC's service config on the same calls, not on top: both
 * would retry. Transparent retries (a call that never left the client) stay gRPC's.
 *
 * <p>Immutable and thread-safe; one instance serves every call of a channel. A retry waits on the
 * {@link ScheduledExecutorService} given to the builder, never on the caller's thread.
 */
public final class RetryClientInterceptor implements ClientInterceptor {
  private final RetryPolicy policy;
  private final ScheduledExecutorService scheduler;
  private final Predicate<MethodDescriptor<?, ?>> retryWithoutPushback;

  private RetryClientInterceptor(Builder b) {
    this.policy = b.policy;
    // One attempt: no retry, every call passes through, throttled and counted.
    this.scheduler = b.policy.maxAttempts() > 1 ? b.scheduler : null;
    this.retryWithoutPushback = b.retryWithoutPushback;
  }

  /**
   * Returns a builder for calls under {@code policy}: its attempts, backoff, budget, throttle and
   * breaker (see {@link RetryPolicy.Builder}). Share one policy among the channels to one server.
   */
  public static Builder newBuilder(RetryPolicy policy) {
    return new Builder(Checks.notNull("policy", policy));
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions callOptions, Channel next) {
    boolean retryable = scheduler != null && method.getType().clientSendsOneMessage();
    return new RetryingCall<>(this, method, callOptions, next, retryable);
  }

  /** Returns the policy every call follows. */
  public RetryPolicy policy() {
    return policy;
  }

  @Override
  public String toString() {
    return "RetryClientInterceptor[" + policy + "]";
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  boolean retriesWithoutPushback(MethodDescriptor<?, ?> method) {
    return retryWithoutPushback.test(method);
  }

  /** Returns whether {@code code} is a refusal: the server did not take the call on. */
  static boolean isRefusal(Status.Code code) {
    return code == Status.Code.UNAVAILABLE || code == Status.Code.RESOURCE_EXHAUSTED;
  }

  /** Returns whether {@code code} tells the breaker that the server took the call and failed. */
  static boolean isFailure(Status.Code code) {
    return code == Status.Code.UNKNOWN || code == Status.Code.INTERNAL
        || code == Status.Code.DATA_LOSS || code == Status.Code.DEADLINE_EXCEEDED;
  }

  /**
   * Configures a {@link RetryClientInterceptor}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming it. Not thread-safe.
   */
  public static final class Builder {
    private final RetryPolicy policy;
    private ScheduledExecutorService scheduler;
    private Predicate<MethodDescriptor<?, ?>> retryWithoutPushback =
        m -> m.isIdempotent() || m.isSafe();

    private Builder(RetryPolicy policy) {
      this.policy = policy;
    }

    /**
     * Sets where retries wait for their delay; required when the policy allows more than one
     * attempt. The interceptor never shuts it down.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Checks.notNull("scheduler", scheduler);
      return this;
    }

    /**
     * Sets which methods are retried after an {@code UNAVAILABLE} without pushback (a server or
     * proxy that is not Sluice's, a lost connection); by default those marked idempotent or safe
     * ({@link MethodDescriptor#isIdempotent()}, {@link MethodDescriptor#isSafe()}).
     */
    public Builder retryWithoutPushback(Predicate<MethodDescriptor<?, ?>> methods) {
      this.retryWithoutPushback = Checks.notNull("methods", methods);
      return this;
    }

    /**
     * Returns the interceptor.
     *
     * @throws IllegalArgumentException if the policy retries but no scheduler was given
     */
    public RetryClientInterceptor build() {
      if (policy.maxAttempts() > 1 && scheduler == null) {
        throw new IllegalArgumentException("scheduler must be set: the policy makes up to "
            + policy.maxAttempts() + " attempts, and a retry waits on the scheduler");
      }
      return new RetryClientInterceptor(this);
    }
  }
}
