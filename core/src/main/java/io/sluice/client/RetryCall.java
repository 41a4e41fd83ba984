package io.sluice.client;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * One logical request under a {@link RetryPolicy}: its attempts, what each one met, and the wait
 * before the next. See {@link RetryPolicy} for the loop that drives it.
 *
 * <p>Per attempt: {@link #tryAttempt()}; if it returns a permit, make the call and report exactly
 * one of {@link #onSuccess}, {@link #onFailure}, {@link #onRefused}, {@link #onAnswer} or
 * {@link #onResponse} (which classifies the response with the policy's
 * {@link RefusalClassifier}); then, unless it succeeded, ask {@link #nextDelayNanos()} how long to
 * wait, or whether to give up. The wait is never shorter than the last wait the server named, nor
 * than the breaker's remaining open time. An answer that retrying cannot help (a rejected request,
 * an exhausted quota) ends the call: {@link #nextDelayNanos()} gives up without touching the
 * budget.
 *
 * <p>Not thread-safe: confined to the thread, or the sequential chain of callbacks, that drives
 * the request. Allocated once per logical request; its methods do not allocate, except what the
 * classifier of {@link #onResponse} does to read a refusal.
 */
public final class RetryCall {
  /** What {@link #nextDelayNanos()} returns when the call must not be retried. */
  public static final long GIVE_UP = -1L;

  private final RetryPolicy policy;
  private int attempts;
  private boolean succeeded;
  /** Whether an answer ended the call without success (rejected, quota exhausted). */
  private boolean ended;
  private ProviderAnswer lastAnswer;
  private long floorNanos;
  /** Whether nextDelayNanos() took a retry from the budget since the last attempt. */
  private boolean charged;

  RetryCall(RetryPolicy policy) {
    this.policy = policy;
  }

  /**
   * Starts an attempt: returns a permit ticket (make the call) or a rejection ticket if the
   * breaker is open ({@code CIRCUIT_OPEN}, with its remaining open time) or the throttle refused
   * the attempt locally ({@code RATE_LIMITED}, with no wait of its own). A rejected attempt counts
   * as an attempt; follow it with {@link #nextDelayNanos()}.
   *
   * @throws IllegalStateException if the call succeeded or has used all its attempts
   */
  public long tryAttempt() {
    if (succeeded || ended || attempts >= policy.maxAttempts) {
      throw new IllegalStateException("no attempt left: " + this);
    }
    attempts++;
    floorNanos = 0;
    charged = false;
    lastAnswer = null;
    long permit = 0;
    if (policy.breaker != null) {
      permit = policy.breaker.tryAcquire();
      if (Ticket.isRejection(permit)) {
        floorNanos = Ticket.retryAfterNanos(permit);
        return permit;
      }
    }
    if (policy.throttle != null && !policy.throttle.tryRequest(random())) {
      if (policy.breaker != null) {
        policy.breaker.onIgnored(permit);
      }
      return Ticket.rejection(RejectReason.RATE_LIMITED, 0);
    }
    return permit;
  }

  /** Reports that the attempt succeeded (any response that is not a server failure); ends the call. */
  public void onSuccess(long permit) {
    succeeded = true;
    if (policy.breaker != null) {
      policy.breaker.onSuccess(permit);
    }
    if (policy.throttle != null) {
      policy.throttle.onAccepted();
    }
  }

  /**
   * Reports that the downstream took the attempt and failed it (a 5xx other than 503, a reset
   * connection): a failure for the breaker, an accept for the throttle.
   */
  public void onFailure(long permit) {
    if (policy.breaker != null) {
      policy.breaker.onFailure(permit);
    }
    if (policy.throttle != null) {
      policy.throttle.onAccepted();
    }
  }

  /**
   * Reports that the downstream refused the attempt (503 or 429) and asked to wait
   * {@code retryAfterNanos} (zero or less, e.g. {@link RetryAfter#ABSENT}, if it named no time): a
   * failure for the breaker, which opens for the Retry-After, and not an accept for the throttle.
   * The next attempt comes no sooner than the Retry-After.
   */
  public void onRefused(long permit, long retryAfterNanos) {
    floorNanos = Math.max(0L, retryAfterNanos);
    if (policy.breaker != null) {
      policy.breaker.onRefused(permit, retryAfterNanos);
    }
  }

  /**
   * Reports the provider's answer to the attempt, as a {@link RefusalClassifier} gave it: accepted
   * as {@link #onSuccess}; rate limited or overloaded as {@link #onRefused} with the answer's wait;
   * failed as {@link #onFailure}, no retry sooner than a wait it named; rejected (a success for the
   * breaker and an accept for the throttle: the provider works) and quota exhausted (a failure for
   * the breaker) end the call.
   *
   * @throws IllegalArgumentException if {@code answer} is null
   */
  public void onAnswer(long permit, ProviderAnswer answer) {
    if (answer == null) {
      throw new IllegalArgumentException("answer must not be null");
    }
    switch (answer.kind()) {
      case ACCEPTED:
        onSuccess(permit);
        break;
      case RATE_LIMITED:
      case OVERLOADED:
        onRefused(permit, answer.waitNanos());
        break;
      case FAILED:
        onFailure(permit);
        floorNanos = Math.max(0L, answer.waitNanos());
        break;
      case REJECTED:
        ended = true;
        if (policy.breaker != null) {
          policy.breaker.onSuccess(permit);
        }
        if (policy.throttle != null) {
          policy.throttle.onAccepted();
        }
        break;
      default:
        ended = true;
        if (policy.breaker != null) {
          policy.breaker.onFailure(permit);
        }
        break;
    }
    lastAnswer = answer;
  }

  /**
   * Classifies a response with the policy's {@link RefusalClassifier}, reports it as
   * {@link #onAnswer} does, and returns the answer (accepted: use the response; otherwise ask
   * {@link #nextDelayNanos()}).
   *
   * @param body the body, or its beginning, or null if it was not read
   * @throws IllegalStateException if the classifier returns null
   */
  public ProviderAnswer onResponse(long permit, int status, ResponseHeaders headers, String body) {
    ProviderAnswer answer = policy.classifier.classify(status,
        headers == null ? ResponseHeaders.NONE : headers, body);
    if (answer == null) {
      throw new IllegalStateException(policy.classifier + " classified status " + status
          + " as null");
    }
    onAnswer(permit, answer);
    return answer;
  }

  /**
   * Returns how long to wait before the next attempt, or {@link #GIVE_UP} if the call succeeded,
   * was ended by an answer that retrying cannot help, has used its attempts, would have to wait
   * longer than the policy's maxRetryAfter, or the retry budget is spent. A returned wait has
   * taken a retry from the budget, at most one per attempt: asking again before the next attempt
   * draws a new jittered wait and takes nothing more.
   *
   * @throws IllegalStateException if no attempt has been made yet
   */
  public long nextDelayNanos() {
    if (attempts == 0) {
      throw new IllegalStateException("no attempt made yet: call tryAttempt() first");
    }
    if (succeeded || ended || attempts >= policy.maxAttempts) {
      return GIVE_UP;
    }
    long floor = floorNanos;
    if (policy.breaker != null) {
      floor = Math.max(floor, policy.breaker.retryAfterNanos());
    }
    if (floor > policy.maxRetryAfterNanos) {
      return GIVE_UP;
    }
    if (!charged) {
      if (!policy.budget.tryRetry()) {
        return GIVE_UP;
      }
      charged = true;
    }
    return policy.backoff.delayNanos(attempts - 1, floor, random());
  }

  /** Returns the attempts started so far. */
  public int attempts() {
    return attempts;
  }

  /** Returns the answer reported for the last attempt by {@link #onAnswer}, or null. */
  public ProviderAnswer lastAnswer() {
    return lastAnswer;
  }

  /** Returns whether an attempt succeeded. */
  public boolean succeeded() {
    return succeeded;
  }

  private RandomGenerator random() {
    return policy.random != null ? policy.random : ThreadLocalRandom.current();
  }

  @Override
  public String toString() {
    return "RetryCall[attempts=" + attempts + "/" + policy.maxAttempts + ", succeeded=" + succeeded
        + "]";
  }
}
