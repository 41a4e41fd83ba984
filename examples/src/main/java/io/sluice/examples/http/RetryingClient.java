package io.sluice.examples.http;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.client.RetryAfter;
import io.sluice.client.RetryCall;
import io.sluice.client.RetryPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A well-behaved client of the demo server: each call is one logical request driven by a
 * {@link RetryCall} of a shared {@link RetryPolicy}, asynchronously. A {@code 503} or {@code 429}
 * is reported with its parsed {@code Retry-After}, and the next attempt is scheduled after
 * {@link RetryCall#nextDelayNanos()}, which is never shorter than that Retry-After; the call gives
 * up when the policy says so (attempts used, retry budget spent, or a Retry-After longer than it
 * accepts). No thread waits: retries are scheduled on a {@link Delayer}.
 *
 * <p>Before each attempt the policy's breaker and adaptive throttle may refuse it locally. A call
 * the throttle refuses fails at once, as the SRE book's client-side throttling intends: the
 * throttle refuses because the server is refusing, and retrying the refused call would spend the
 * retry budget to send the load back. A call the breaker refuses waits out the breaker's open
 * time like any Retry-After.
 *
 * <pre>{@code
 * RetryingClient client = new RetryingClient(http, uri, policy,
 *     (nanos, task) -> scheduler.schedule(task, nanos, TimeUnit.NANOSECONDS));
 * client.call().thenAccept(result -> ...);
 * }</pre>
 *
 * <p>Thread-safe: calls may be started from any thread and run concurrently; each call's state is
 * confined to its own chain of callbacks.
 */
public final class RetryingClient {
  /** Runs a task after a delay; the production implementation is a scheduled executor. */
  @FunctionalInterface
  public interface Delayer {
    /** Runs {@code task} once, {@code delayNanos} from now, on any thread. */
    void after(long delayNanos, Runnable task);
  }

  /**
   * How one logical request went.
   *
   * @param succeeded whether an attempt got an answer that is not a server failure
   * @param attempts attempts started, the first included, whether sent or refused locally
   * @param sent attempts sent to the server
   * @param refusals 503 and 429 answers
   * @param locallyRefused attempts refused by the breaker or the throttle, never sent
   * @param lastRetryAfterNanos the last Retry-After received ({@link RetryAfter#ABSENT} if none)
   * @param minSlackNanos the smallest wait before a retry minus the Retry-After it followed (zero
   *     or more when the client honours Retry-After; {@code Long.MAX_VALUE} if it never waited on
   *     one)
   */
  public record Result(boolean succeeded, int attempts, int sent, int refusals, int locallyRefused,
      long lastRetryAfterNanos, long minSlackNanos) {

    /** Returns whether the call succeeded after at least one refusal with a Retry-After. */
    public boolean succeededAfterRetryAfter() {
      return succeeded && refusals > 0 && lastRetryAfterNanos != RetryAfter.ABSENT;
    }

    /** Returns the attempts sent after the first. */
    public int retriesSent() {
      return Math.max(0, sent - 1);
    }
  }

  private final HttpClient http;
  private final HttpRequest request;
  private final RetryPolicy policy;
  private final Delayer delayer;
  private final Clock clock;

  /**
   * Creates a client that calls {@code uri} with {@code GET}, each attempt timing out after 2 s.
   *
   * @param delayer runs retries after their delay
   */
  public RetryingClient(HttpClient http, URI uri, RetryPolicy policy, Delayer delayer) {
    this(http, HttpRequest.newBuilder(Checks.notNull("uri", uri))
        .timeout(Duration.ofSeconds(2)).GET().build(), policy, delayer, Clock.systemUTC());
  }

  /** Creates a client that sends {@code request}; {@code clock} reads HTTP-date Retry-Afters. */
  public RetryingClient(HttpClient http, HttpRequest request, RetryPolicy policy, Delayer delayer,
      Clock clock) {
    this.http = Checks.notNull("http", http);
    this.request = Checks.notNull("request", request);
    this.policy = Checks.notNull("policy", policy);
    this.delayer = Checks.notNull("delayer", delayer);
    this.clock = Checks.notNull("clock", clock);
  }

  /** Starts one logical request; the future completes when it succeeds or gives up. */
  public CompletableFuture<Result> call() {
    Call call = new Call(policy.newCall());
    call.attempt();
    return call.done;
  }

  /** One logical request: its RetryCall and counts, touched by one callback at a time. */
  private final class Call {
    final CompletableFuture<Result> done = new CompletableFuture<>();
    private final RetryCall retry;
    private int sent;
    private int refusals;
    private int locallyRefused;
    private long lastRetryAfterNanos = RetryAfter.ABSENT;
    private long minSlackNanos = Long.MAX_VALUE;

    Call(RetryCall retry) {
      this.retry = retry;
    }

    void attempt() {
      long permit = retry.tryAttempt();
      if (Ticket.isRejection(permit)) {
        locallyRefused++;
        if (Ticket.reason(permit) == RejectReason.RATE_LIMITED) {
          finish(false); // the throttle shed it: retrying would add back the load it just shed
        } else {
          next(Ticket.retryAfterNanos(permit)); // the breaker is open: wait it out
        }
        return;
      }
      sent++;
      http.sendAsync(request, BodyHandlers.discarding()).whenComplete((response, failure) -> {
        if (failure != null) {
          retry.onFailure(permit);
          next(RetryAfter.ABSENT);
        } else {
          answered(permit, response);
        }
      });
    }

    private void answered(long permit, HttpResponse<Void> response) {
      int status = response.statusCode();
      if (status == 503 || status == 429) {
        refusals++;
        long retryAfter = RetryAfter.parseNanos(
            response.headers().firstValue("Retry-After").orElse(null), clock);
        lastRetryAfterNanos = retryAfter;
        retry.onRefused(permit, retryAfter);
        next(retryAfter);
      } else if (status >= 500) {
        retry.onFailure(permit);
        next(RetryAfter.ABSENT);
      } else {
        retry.onSuccess(permit);
        finish(true);
      }
    }

    /** Schedules the next attempt, or ends the call; {@code retryAfter} is what it must honour. */
    private void next(long retryAfter) {
      long delay = retry.nextDelayNanos();
      if (delay == RetryCall.GIVE_UP) {
        finish(false);
        return;
      }
      if (retryAfter > 0) {
        minSlackNanos = Math.min(minSlackNanos, delay - retryAfter);
      }
      delayer.after(delay, this::attempt);
    }

    private void finish(boolean succeeded) {
      done.complete(new Result(succeeded, retry.attempts(), sent, refusals, locallyRefused,
          lastRetryAfterNanos, minSlackNanos));
    }
  }
}
