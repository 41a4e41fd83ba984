package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker;
import io.sluice.breaker.CircuitBreaker.State;
import io.sluice.testing.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * A client loop that honours Retry-After, the breaker, the retry budget and the adaptive throttle
 * together, against a scripted downstream, with a manual clock standing in for sleeping.
 */
class RetryPolicyTest {
  private static final long SECOND = 1_000_000_000L;

  private final ManualClock clock = new ManualClock();
  private final Clock wall = new ManualWallClock(clock, Instant.parse("2026-03-01T12:00:00Z"));
  private final SplittableRandom random = new SplittableRandom(42);

  /** What the scripted downstream answers: a status and an optional Retry-After field. */
  record Response(int status, String retryAfter) {
    static Response ok() {
      return new Response(200, null);
    }

    static Response unavailable(String retryAfter) {
      return new Response(503, retryAfter);
    }
  }

  /** What one logical request did: when each attempt reached the downstream, and the result. */
  record Outcome(List<Long> sentAt, int localRejections, boolean succeeded, int attempts) {}

  /** The loop a client writes around its HTTP client; the manual clock stands in for sleeping. */
  private Outcome send(RetryPolicy policy, LongFunction<Response> downstream) {
    List<Long> sentAt = new ArrayList<>();
    int localRejections = 0;
    RetryCall call = policy.newCall();
    for (;;) {
      long permit = call.tryAttempt();
      if (Ticket.isPermit(permit)) {
        sentAt.add(clock.nanoTime());
        Response response = downstream.apply(clock.nanoTime());
        if (response.status() == 503 || response.status() == 429) {
          call.onRefused(permit, RetryAfter.parseNanos(response.retryAfter(), wall));
        } else if (response.status() >= 500) {
          call.onFailure(permit);
        } else {
          call.onSuccess(permit);
          return new Outcome(sentAt, localRejections, true, call.attempts());
        }
      } else {
        localRejections++;
      }
      long delay = call.nextDelayNanos();
      if (delay == RetryCall.GIVE_UP) {
        return new Outcome(sentAt, localRejections, false, call.attempts());
      }
      clock.advanceNanos(delay);
    }
  }

  private RetryPolicy.Builder policy() {
    return RetryPolicy.newBuilder().random(random)
        .backoff(Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(2)));
  }

  @Test
  void theNextAttemptNeverComesBeforeTheServersRetryAfter() {
    RetryPolicy policy = policy().maxAttempts(3).build();
    List<Long> refusedUntil = new ArrayList<>();

    Outcome outcome = send(policy, now -> {
      if (refusedUntil.size() < 2) {
        refusedUntil.add(now + 3 * SECOND);
        return Response.unavailable("3");
      }
      return Response.ok();
    });

    assertThat(outcome.succeeded()).isTrue();
    assertThat(outcome.sentAt()).hasSize(3);
    assertThat(outcome.sentAt().get(1)).isGreaterThanOrEqualTo(refusedUntil.get(0));
    assertThat(outcome.sentAt().get(2)).isGreaterThanOrEqualTo(refusedUntil.get(1));
  }

  @Test
  void anHttpDateRetryAfterIsHonouredToo() {
    RetryPolicy policy = policy().build();
    String inFiveSeconds = DateTimeFormatter.RFC_1123_DATE_TIME
        .format(wall.instant().plusSeconds(5).atOffset(java.time.ZoneOffset.UTC));
    boolean[] refused = {false};

    Outcome outcome = send(policy, now -> {
      if (!refused[0]) {
        refused[0] = true;
        return Response.unavailable(inFiveSeconds);
      }
      return Response.ok();
    });

    assertThat(outcome.succeeded()).isTrue();
    assertThat(outcome.sentAt().get(1)).isGreaterThanOrEqualTo(5 * SECOND);
  }

  @Test
  void aRetryAfterLongerThanTheClientWillWaitEndsTheCall() {
    RetryPolicy policy = policy().maxRetryAfter(Duration.ofSeconds(60)).build();

    Outcome outcome = send(policy, now -> Response.unavailable("120"));

    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.sentAt()).hasSize(1);
    assertThat(policy.budget().balance()).as("giving up took no retry").isEqualTo(10.0);
  }

  @Test
  void attemptsAreBoundedAndBackOffWithJitter() {
    RetryPolicy policy = policy().maxAttempts(3).build();

    Outcome outcome = send(policy, now -> new Response(500, null));

    assertThat(outcome.succeeded()).isFalse();
    assertThat(outcome.attempts()).isEqualTo(3);
    List<Long> sent = outcome.sentAt();
    assertThat(sent.get(1) - sent.get(0)).isBetween(0L, 100_000_000L);
    assertThat(sent.get(2) - sent.get(1)).isBetween(0L, 200_000_000L);
  }

  /**
   * The downstream refuses with Retry-After, which opens the breaker: other requests then fail
   * fast locally, and their retries wait for the breaker's remaining open time instead of
   * reaching the downstream early.
   */
  @Test
  void theBreakerOpenedByARetryAfterMakesOtherCallsFailFastAndWait() {
    CircuitBreaker breaker = CircuitBreaker.newBuilder().clock(clock).probes(1)
        .waitInOpen(Duration.ofSeconds(1)).build();
    RetryPolicy policy = policy().breaker(breaker).maxAttempts(3).build();
    long refusedUntil = 4 * SECOND;
    List<Long> reachedDownstream = new ArrayList<>();
    LongFunction<Response> downstream = now -> {
      reachedDownstream.add(now);
      return now < refusedUntil ? Response.unavailable("4") : Response.ok();
    };

    Outcome first = send(policy, downstream);

    assertThat(first.succeeded()).isTrue();
    assertThat(reachedDownstream).hasSize(2);
    assertThat(reachedDownstream.get(1)).as("the retry waited the 4 s").isGreaterThanOrEqualTo(refusedUntil);

    // Open it again with a 4 s Retry-After; a new request meets the open breaker first.
    long opener = breaker.tryAcquire();
    breaker.onRefused(opener, 4 * SECOND);
    long openedAt = clock.nanoTime();
    reachedDownstream.clear();
    Outcome second = send(policy, now -> {
      reachedDownstream.add(now);
      return Response.ok();
    });

    assertThat(second.localRejections()).as("the first attempt failed fast").isEqualTo(1);
    assertThat(second.succeeded()).isTrue();
    assertThat(reachedDownstream).hasSize(1);
    assertThat(reachedDownstream.get(0)).as("sent only once the breaker let a probe through")
        .isGreaterThanOrEqualTo(openedAt + 4 * SECOND);
    assertThat(breaker.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void theRetryBudgetCapsRetriesAcrossCalls() {
    RetryBudget budget = RetryBudget.of(0.1, 2);
    RetryPolicy policy = policy().budget(budget).maxAttempts(3).build();
    int calls = 200;
    long sent = 0;
    for (int i = 0; i < calls; i++) {
      sent += send(policy, now -> new Response(500, null)).sentAt().size();
    }

    long retries = sent - calls;
    assertThat(retries).isLessThanOrEqualTo(2 + calls / 10);
    assertThat(retries).as("the budget, not maxAttempts, was the limit").isLessThan(calls);
  }

  @Test
  void theThrottleKeepsMostRequestsFromADeadBackendLocal() {
    AdaptiveThrottle throttle = AdaptiveThrottle.newBuilder().clock(clock).build();
    RetryPolicy policy = policy().throttle(throttle).maxAttempts(1).build();
    int calls = 1_000;
    long sent = 0;
    long refusedLocally = 0;
    for (int i = 0; i < calls; i++) {
      Outcome outcome = send(policy, now -> Response.unavailable(null));
      sent += outcome.sentAt().size();
      refusedLocally += outcome.localRejections();
      clock.advance(Duration.ofMillis(10));
    }

    assertThat(sent + refusedLocally).isEqualTo(calls);
    assertThat(refusedLocally).as("P approaches requests / (requests + 1)").isGreaterThan(900);
  }

  @Test
  void anAttemptTheThrottleRefusesGivesBackItsProbe() {
    CircuitBreaker breaker = CircuitBreaker.newBuilder().clock(clock).probes(1)
        .waitInOpen(Duration.ofSeconds(1)).build();
    AdaptiveThrottle throttle = AdaptiveThrottle.newBuilder().clock(clock).build();
    for (int i = 0; i < 100; i++) {
      throttle.tryRequest(random);                 // a backend that accepted none of them
    }
    breaker.onRefused(breaker.tryAcquire(), SECOND);
    clock.advance(Duration.ofSeconds(2));
    RetryPolicy policy = policy().breaker(breaker).throttle(throttle).maxAttempts(1)
        .random(FixedRandom.always(0.0)).build();   // every draw falls below P: refused locally

    long ticket = policy.newCall().tryAttempt();

    assertThat(Ticket.reason(ticket)).isEqualTo(RejectReason.RATE_LIMITED);
    assertThat(Ticket.isPermit(breaker.tryAcquire()))
        .as("the breaker's only probe was given back, so a new one is admitted").isTrue();
  }

  /**
   * Found looking for issue 17's "lost permits" in the client: asking for the delay before any
   * attempt spent a retry from the shared budget and then failed with a confusing "retry must be
   * in [0, ...] but was -1"; asking twice after one failure spent two.
   */
  @Test
  void askingForTheDelayOutOfTurnSpendsNothingFromTheBudget() {
    RetryBudget budget = RetryBudget.of(0.1, 2);
    RetryPolicy policy = policy().budget(budget).maxAttempts(3).build();
    RetryCall call = policy.newCall();
    assertThatThrownBy(call::nextDelayNanos).isInstanceOf(IllegalStateException.class)
        .hasMessage("no attempt made yet: call tryAttempt() first");
    assertThat(budget.balance()).as("nothing taken").isEqualTo(2.0);

    call.onFailure(call.tryAttempt());
    long first = call.nextDelayNanos();
    long again = call.nextDelayNanos();
    assertThat(first).isNotNegative();
    assertThat(again).isNotNegative();
    assertThat(budget.balance()).as("one retry for one failed attempt").isEqualTo(1.0);

    call.onFailure(call.tryAttempt());
    assertThat(call.nextDelayNanos()).isNotNegative();
    assertThat(budget.balance()).isZero();
    call.onFailure(call.tryAttempt());
    assertThat(call.nextDelayNanos()).as("attempts used up").isEqualTo(RetryCall.GIVE_UP);
  }

  @Test
  void aCallIsDrivenInOrder() {
    RetryPolicy policy = policy().maxAttempts(1).build();
    RetryCall call = policy.newCall();
    long permit = call.tryAttempt();
    call.onSuccess(permit);

    assertThat(call.succeeded()).isTrue();
    assertThat(call.nextDelayNanos()).isEqualTo(RetryCall.GIVE_UP);
    assertThatThrownBy(call::tryAttempt).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RetryPolicy.newBuilder().maxAttempts(0))
        .hasMessage("maxAttempts must be in [1, 10] but was 0");
  }

  @Test
  void aBuilderBuildingTwiceGivesEachPolicyABudgetOfItsOwn() {
    RetryPolicy.Builder builder = RetryPolicy.newBuilder();
    RetryPolicy first = builder.build();
    RetryPolicy second = builder.build();
    assertThat(second.budget()).isNotSameAs(first.budget());
    while (first.budget().tryRetry()) {
      // spend the first policy's whole budget
    }
    assertThat(second.budget().tryRetry()).as("the second policy's budget is untouched").isTrue();
    RetryBudget shared = RetryBudget.of(0.2, 5);
    RetryPolicy third = builder.budget(shared).build();
    assertThat(third.budget()).isSameAs(shared);
    assertThat(builder.build().budget()).isSameAs(shared);
  }
}
