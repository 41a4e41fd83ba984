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
 * one of {@link #onSuccess}, {@link #onFailure} or {@link #onRefused}; then, unless it succeeded,
 * ask {@link #nextDelayNanos()} how long to wait, or whether to give up. The wait is never shorter
 * than the last Retry-After the server sent, nor than the breaker's remaining open time.
 *
 * <p>Not thread-safe: confined to the thread, or the sequential chain of callbacks, that drives
 * the request. Allocated once per logical request; its methods do not allocate.
 */
public final class RetryCall {
  /** What {@link #nextDelayNanos()} returns when the call must not be retried. */
  public static final long GIVE_UP = -1L;

  private final RetryPolicy policy;
  private int attempts;
  private boolean succeeded;
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
    if (succeeded || attempts >= policy.maxAttempts) {
      throw new IllegalStateException("no attempt left: " + this);
    }
    attempts++;
    floorNanos = 0;
    charged = false;
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
   * Returns how long to wait before the next attempt, or {@link #GIVE_UP} if the call succeeded,
   * has used its attempts, would have to wait longer than the policy's maxRetryAfter, or the retry
   * budget is spent. A returned wait has taken a retry from the budget, at most one per attempt:
   * asking again before the next attempt draws a new jittered wait and takes nothing more.
   *
   * @throws IllegalStateException if no attempt has been made yet
   */
  public long nextDelayNanos() {
    if (attempts == 0) {
      throw new IllegalStateException("no attempt made yet: call tryAttempt() first");
    }
    if (succeeded || attempts >= policy.maxAttempts) {
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
