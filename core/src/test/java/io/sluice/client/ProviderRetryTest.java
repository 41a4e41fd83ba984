package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Ticket;
import io.sluice.client.ProviderAnswer.Kind;
import io.sluice.testing.ManualClock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The retry loop against a fake LLM provider, on a manual clock: an exhausted quota is never
 * retried, a rate limit's Retry-After and reset fields are waited out (never less), an overload is
 * backed off from with full jitter and only as far as the retry budget allows.
 */
class ProviderRetryTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;
  private static final String QUOTA = "{\"error\":{\"type\":\"insufficient_quota\","
      + "\"code\":\"insufficient_quota\",\"message\":\"You exceeded your current quota\"}}";

  private final ManualClock clock = new ManualClock();
  private final Clock wall = new ManualWallClock(clock, Instant.parse("2026-03-01T12:00:00Z"));
  private final FakeHttp provider = new FakeHttp();
  private final HttpRequest request =
      HttpRequest.newBuilder(URI.create("http://provider/v1/chat/completions")).build();

  /** What one logical request did: when each attempt was sent, its waits, and how it ended. */
  record Result(List<Long> sentAt, List<Long> delays, ProviderAnswer last, boolean succeeded) {}

  private RetryPolicy.Builder policy(long seed) {
    return RetryPolicy.newBuilder()
        .random(new SplittableRandom(seed))
        .classifier(RefusalClassifier.standard(wall))
        .backoff(Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5)));
  }

  /** The loop a service writes around its HTTP client; the manual clock stands in for sleeping. */
  private Result call(RetryPolicy policy) {
    List<Long> sentAt = new ArrayList<>();
    List<Long> delays = new ArrayList<>();
    RetryCall call = policy.newCall();
    for (;;) {
      long permit = call.tryAttempt();
      if (Ticket.isPermit(permit)) {
        sentAt.add(clock.nanoTime());
        HttpResponse<String> response = provider.send(request, BodyHandlers.ofString());
        ProviderAnswer answer = call.onResponse(permit, response.statusCode(),
            name -> response.headers().firstValue(name).orElse(null), response.body());
        if (answer.kind() == Kind.ACCEPTED) {
          return new Result(sentAt, delays, answer, call.succeeded());
        }
      }
      long delay = call.nextDelayNanos();
      if (delay == RetryCall.GIVE_UP) {
        return new Result(sentAt, delays, call.lastAnswer(), call.succeeded());
      }
      delays.add(delay);
      clock.advanceNanos(delay);
    }
  }

  @Test
  void anExhaustedQuotaIsSentOnceAndNeverRetried() {
    RetryPolicy policy = policy(1).maxAttempts(5).build();
    provider.answer(429, Map.of("Retry-After", "1"), QUOTA)
        .answer(402, Map.of(), "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\"}}")
        .answer(429, Map.of(), "{\"error\":{\"details\":{\"error_code\":"
            + "\"enforced_spend_limit_reached\"}}}");

    for (int i = 0; i < 3; i++) {
      Result result = call(policy);
      assertThat(result.sentAt()).hasSize(1);
      assertThat(result.succeeded()).isFalse();
      assertThat(result.last().kind()).isEqualTo(Kind.QUOTA_EXHAUSTED);
    }
    assertThat(provider.sent).isEqualTo(3);
    assertThat(policy.budget().balance()).as("no retry was taken").isEqualTo(10.0);
  }

  @Test
  void aRateLimitIsRetriedNoSoonerThanItsRetryAfter() {
    for (long seed = 0; seed < 20; seed++) {
      provider.answer(429, Map.of("Retry-After", "7"), "{}").answer(200, Map.of(), "ok");
      Result result = call(policy(seed).build());

      assertThat(result.succeeded()).isTrue();
      assertThat(result.sentAt().get(1) - result.sentAt().get(0))
          .isGreaterThanOrEqualTo(7 * SECOND);
    }
  }

  @Test
  void aRateLimitWaitsTheResetOfItsExhaustedLimitNeverLess() {
    RetryPolicy policy = policy(3).maxRetryAfter(Duration.ofMinutes(10)).build();
    provider.answer(429, Map.of(
            "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "1m30s",
            "x-ratelimit-remaining-requests", "99", "x-ratelimit-reset-requests", "1s"), "{}")
        .answer(200, Map.of(), "ok");
    Result tokens = call(policy);
    assertThat(tokens.sentAt().get(1) - tokens.sentAt().get(0))
        .isGreaterThanOrEqualTo(90 * SECOND);

    provider.answer(429, Map.of(
            "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "20ms",
            "x-ratelimit-remaining-tokens", "4000", "x-ratelimit-reset-tokens", "6m0s"), "{}")
        .answer(200, Map.of(), "ok");
    Result requests = call(policy);
    long waited = requests.sentAt().get(1) - requests.sentAt().get(0);
    assertThat(waited).as("the request count's reset, not the tokens'")
        .isBetween(20 * MILLI, 100 * MILLI);

    provider.answer(429, Map.of("retry-after", "3",
            "anthropic-ratelimit-output-tokens-remaining", "0",
            "anthropic-ratelimit-output-tokens-reset", "2026-03-01T12:09:00Z"), "{}")
        .answer(200, Map.of(), "ok");
    Result anthropic = call(policy);
    assertThat(anthropic.sentAt().get(1))
        .as("12:09:00 on the wall clock, which reads 12:00:00 plus the manual clock")
        .isGreaterThanOrEqualTo(9 * 60 * SECOND);
  }

  @Test
  void aWaitLongerThanMaxRetryAfterGivesUpAtOnce() {
    provider.answer(429, Map.of("x-ratelimit-remaining-tokens", "0",
        "x-ratelimit-reset-tokens", "6m0s"), "{}");
    RetryPolicy policy = policy(4).build();   // maxRetryAfter 60 s

    Result result = call(policy);

    assertThat(result.sentAt()).hasSize(1);
    assertThat(result.last()).isEqualTo(ProviderAnswer.rateLimited(360 * SECOND));
    assertThat(policy.budget().balance()).isEqualTo(10.0);
  }

  @Test
  void anOverloadBacksOffWithFullJitterUnderTheRetryBudget() {
    RetryBudget budget = RetryBudget.of(0.1, 2);
    RetryPolicy policy = policy(5).maxAttempts(4).budget(budget).build();
    String overloaded = "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}";
    for (int i = 0; i < 400; i++) {
      provider.answer(529, Map.of(), overloaded);
    }
    Backoff backoff = Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(5));
    Set<Long> distinct = new HashSet<>();
    int calls = 50;
    int retries = 0;

    for (int i = 0; i < calls; i++) {
      Result result = call(policy);
      assertThat(result.last().kind()).isEqualTo(Kind.OVERLOADED);
      for (int n = 0; n < result.delays().size(); n++) {
        assertThat(result.delays().get(n)).isBetween(0L, backoff.ceilingNanos(n));
        distinct.add(result.delays().get(n));
      }
      retries += result.sentAt().size() - 1;
    }

    assertThat(retries).as("burst + ratio x calls").isLessThanOrEqualTo(2 + calls / 10)
        .isGreaterThanOrEqualTo(2 + calls / 10 - 1);
    assertThat(distinct).as("jittered, not in lock-step").hasSizeGreaterThan(retries / 2);
  }

  @Test
  void anOverloadThatNamesAWaitIsRetriedNoSooner() {
    provider.answer(503, Map.of("Retry-After", "30"), "busy").answer(200, Map.of(), "ok");

    Result result = call(policy(6).build());

    assertThat(result.delays()).containsExactly(30 * SECOND);
    assertThat(result.succeeded()).isTrue();
  }

  @Test
  void aFailureIsRetriedAndARejectedRequestIsNot() {
    provider.answer(500, Map.of(), "oops").answer(200, Map.of(), "ok");
    Result failed = call(policy(7).build());
    assertThat(failed.sentAt()).hasSize(2);
    assertThat(failed.succeeded()).isTrue();

    provider.answer(400, Map.of(), "{\"error\":{\"type\":\"invalid_request_error\"}}")
        .answer(200, Map.of(), "never sent");
    Result rejected = call(policy(8).build());
    assertThat(rejected.sentAt()).hasSize(1);
    assertThat(rejected.last().kind()).isEqualTo(Kind.REJECTED);
    assertThat(provider.left()).isEqualTo(1);
  }

  @Test
  void aCallEndedByItsAnswerHasNoAttemptLeft() {
    RetryCall call = policy(9).build().newCall();
    long permit = call.tryAttempt();
    call.onAnswer(permit, ProviderAnswer.quotaExhausted());

    assertThat(call.nextDelayNanos()).isEqualTo(RetryCall.GIVE_UP);
    assertThatThrownBy(call::tryAttempt).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> call.onAnswer(permit, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("answer must not be null");
  }

  @Test
  void aClassifierOfTheUsersOwnDecides() {
    RefusalClassifier teapots = (status, headers, body) -> status == 418
        ? ProviderAnswer.quotaExhausted()
        : RefusalClassifier.standard(wall).classify(status, headers, body);
    RetryPolicy policy = policy(10).classifier(teapots).build();
    provider.answer(418, Map.of(), "");
    assertThat(call(policy).last().kind()).isEqualTo(Kind.QUOTA_EXHAUSTED);

    RetryCall call = policy(11).classifier((status, headers, body) -> null).build().newCall();
    long permit = call.tryAttempt();
    assertThatThrownBy(() -> call.onResponse(permit, 200, ResponseHeaders.NONE, ""))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("as null");
  }
}
