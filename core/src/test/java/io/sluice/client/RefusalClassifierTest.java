package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Outcome;
import io.sluice.client.ProviderAnswer.Kind;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The standard classifier on the answers of OpenAI-compatible and Anthropic-style APIs: which
 * refusals are waited out, backed off from, or never retried, and how long the wait is.
 */
class RefusalClassifierTest {
  private static final long SECOND = 1_000_000_000L;
  private static final String OPENAI_QUOTA = "{\"error\": {\"message\": \"You exceeded your "
      + "current quota.\", \"type\": \"insufficient_quota\", \"param\": null, "
      + "\"code\": \"insufficient_quota\"}}";
  private static final String OPENAI_RATE = "{\"error\": {\"message\": \"Rate limit reached\", "
      + "\"type\": \"requests\", \"code\": \"rate_limit_exceeded\"}}";
  private static final String ANTHROPIC_RATE = "{\"type\":\"error\",\"error\":{\"type\":"
      + "\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your rate "
      + "limit\"}}";
  private static final String ANTHROPIC_SPEND = "{\"type\":\"error\",\"error\":{\"type\":"
      + "\"rate_limit_error\",\"message\":\"spend limit\",\"details\":{\"error_code\":"
      + "\"enforced_spend_limit_reached\"}}}";
  private static final String ANTHROPIC_BILLING = "{\"type\":\"error\",\"error\":{\"type\":"
      + "\"billing_error\",\"message\":\"billing\"}}";
  private static final String ANTHROPIC_OVERLOADED = "{\"type\":\"error\",\"error\":{\"type\":"
      + "\"overloaded_error\",\"message\":\"Overloaded\"}}";

  private final Clock wall = Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);
  private final RefusalClassifier classifier = RefusalClassifier.standard(wall);

  private ProviderAnswer classify(int status, Map<String, String> fields, String body) {
    return classifier.classify(status, ResponseHeaders.of(fields), body);
  }

  @Test
  void answersToUseAreAccepted() {
    for (int status : new int[] {100, 200, 201, 204, 301, 304, 399}) {
      assertThat(classify(status, Map.of(), "")).isSameAs(ProviderAnswer.accepted());
    }
    assertThat(ProviderAnswer.accepted().outcome()).isEqualTo(Outcome.SUCCESS);
  }

  @Test
  void anExhaustedQuotaIsNeverRetried() {
    assertThat(classify(429, Map.of("Retry-After", "20"), OPENAI_QUOTA).kind())
        .isEqualTo(Kind.QUOTA_EXHAUSTED);
    assertThat(classify(429, Map.of(), ANTHROPIC_SPEND).kind()).isEqualTo(Kind.QUOTA_EXHAUSTED);
    assertThat(classify(402, Map.of(), ANTHROPIC_BILLING).kind()).isEqualTo(Kind.QUOTA_EXHAUSTED);
    assertThat(classify(402, Map.of(), null).kind()).isEqualTo(Kind.QUOTA_EXHAUSTED);
    assertThat(classify(403, Map.of(), "{\"error\":{\"code\":\"billing_not_active\"}}").kind())
        .isEqualTo(Kind.QUOTA_EXHAUSTED);
    assertThat(classify(400, Map.of(), "{\"error\":{\"code\": \"billing_hard_limit_reached\"}}")
        .kind()).isEqualTo(Kind.QUOTA_EXHAUSTED);
    ProviderAnswer exhausted = ProviderAnswer.quotaExhausted();
    assertThat(exhausted.retryable()).isFalse();
    assertThat(exhausted.outcome()).isEqualTo(Outcome.IGNORED);
  }

  @Test
  void aQuotaWordOutsideAnErrorTypeOrCodeIsNoQuotaRefusal() {
    String prose = "{\"error\":{\"type\":\"requests\",\"message\":\"not insufficient_quota\"}}";
    assertThat(classify(429, Map.of(), prose).kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(classify(403, Map.of(), "forbidden").kind()).isEqualTo(Kind.REJECTED);
    String late = " ".repeat(ProviderRefusals.BODY_SCAN_LIMIT) + OPENAI_QUOTA;
    assertThat(classify(429, Map.of(), late).kind()).as("beyond the scanned prefix")
        .isEqualTo(Kind.RATE_LIMITED);
  }

  @Test
  void aRateLimitWaitsTheRetryAfter() {
    ProviderAnswer answer = classify(429, Map.of("retry-after", "7"), ANTHROPIC_RATE);
    assertThat(answer).isEqualTo(ProviderAnswer.rateLimited(7 * SECOND));
    assertThat(answer.retryable()).isTrue();
    assertThat(answer.outcome()).isEqualTo(Outcome.DROPPED);
    assertThat(classify(429, Map.of("Retry-After", "Sun, 01 Mar 2026 12:00:09 GMT"), "")
        .waitNanos()).isEqualTo(9 * SECOND);
    assertThat(classify(429, Map.of("retry-after-ms", "1500", "Retry-After", "1"), "").waitNanos())
        .as("the longer of the two").isEqualTo(1_500_000_000L);
  }

  @Test
  void aRateLimitWaitsTheResetOfTheLimitThatIsExhausted() {
    Map<String, String> requestsOut = Map.of(
        "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "20ms",
        "x-ratelimit-remaining-tokens", "5000", "x-ratelimit-reset-tokens", "6m0s");
    assertThat(classify(429, requestsOut, OPENAI_RATE).waitNanos())
        .as("the tokens still have room: their reset is no reason to wait")
        .isEqualTo(20_000_000L);

    Map<String, String> tokensOut = Map.of(
        "x-ratelimit-remaining-requests", "10", "x-ratelimit-reset-requests", "20ms",
        "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "1m30.5s",
        "Retry-After", "2");
    assertThat(classify(429, tokensOut, OPENAI_RATE).waitNanos()).as("never before the reset")
        .isEqualTo(90 * SECOND + SECOND / 2);

    Map<String, String> anthropic = Map.of(
        "retry-after", "3",
        "anthropic-ratelimit-requests-remaining", "40",
        "anthropic-ratelimit-requests-reset", "2026-03-01T12:00:01Z",
        "anthropic-ratelimit-input-tokens-remaining", "0",
        "anthropic-ratelimit-input-tokens-reset", "2026-03-01T12:00:12Z");
    assertThat(classify(429, anthropic, ANTHROPIC_RATE).waitNanos()).isEqualTo(12 * SECOND);
  }

  @Test
  void aRateLimitThatNamesNoExhaustedLimitWaitsItsRetryAfterElseTheLongestReset() {
    Map<String, String> withRetryAfter = Map.of("Retry-After", "4",
        "x-ratelimit-remaining-tokens", "300", "x-ratelimit-reset-tokens", "6m0s");
    assertThat(classify(429, withRetryAfter, "").waitNanos()).isEqualTo(4 * SECOND);

    Map<String, String> resetsOnly = Map.of(
        "x-ratelimit-remaining-requests", "2", "x-ratelimit-reset-requests", "1s",
        "x-ratelimit-reset-tokens", "6m0s");
    assertThat(classify(429, resetsOnly, "").waitNanos()).isEqualTo(360 * SECOND);

    assertThat(classify(429, Map.of(), "").waitNanos()).as("nothing named: plain backoff")
        .isEqualTo(RetryAfter.ABSENT);
  }

  @Test
  void junkFieldsAreIgnoredAndNeverThrow() {
    Map<String, String> junk = Map.of(
        "Retry-After", "soon", "retry-after-ms", "-5",
        "x-ratelimit-remaining-tokens", "-1", "x-ratelimit-reset-tokens", "0",
        "x-ratelimit-remaining-requests", "zero", "x-ratelimit-reset-requests", "1 minute",
        "anthropic-ratelimit-tokens-remaining", "0",
        "anthropic-ratelimit-tokens-reset", "yesterday");
    ProviderAnswer answer = classify(429, junk, "{not json");
    assertThat(answer.kind()).isEqualTo(Kind.RATE_LIMITED);
    assertThat(answer.waitNanos()).as("only the well-formed reset of 0").isZero();
    assertThat(classify(503, Map.of("Retry-After", "-3"), null))
        .isSameAs(ProviderAnswer.overloaded(RetryAfter.ABSENT));
    assertThat(classifier.classify(429, null, null).kind()).isEqualTo(Kind.RATE_LIMITED);
  }

  @Test
  void anOverloadBacksOffNoSoonerThanTheWaitItNames() {
    assertThat(classify(529, Map.of(), ANTHROPIC_OVERLOADED))
        .isEqualTo(ProviderAnswer.overloaded(RetryAfter.ABSENT));
    assertThat(classify(503, Map.of("Retry-After", "30"), "busy"))
        .isEqualTo(ProviderAnswer.overloaded(30 * SECOND));
    assertThat(classify(529, Map.of(), "").outcome()).isEqualTo(Outcome.DROPPED);
  }

  @Test
  void failuresAreRetriedAndOtherClientErrorsAreNot() {
    for (int status : new int[] {500, 502, 504, 599, 408, 409, 0, 99, 600, -1}) {
      assertThat(classify(status, Map.of(), "").kind()).as("%d", status).isEqualTo(Kind.FAILED);
    }
    assertThat(classify(500, Map.of("Retry-After", "2"), "").waitNanos()).isEqualTo(2 * SECOND);
    for (int status : new int[] {400, 401, 403, 404, 413, 422}) {
      ProviderAnswer answer = classify(status, Map.of(), "{\"error\":{}}");
      assertThat(answer.kind()).as("%d", status).isEqualTo(Kind.REJECTED);
      assertThat(answer.retryable()).isFalse();
      assertThat(answer.outcome()).isEqualTo(Outcome.IGNORED);
    }
  }

  @Test
  void answersCheckTheirComponents() {
    assertThatThrownBy(() -> new ProviderAnswer(null, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("kind must not be null");
    assertThatThrownBy(() -> ProviderAnswer.rateLimited(-2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("waitNanos must be in [-1 (absent), 9223372036854775807] but was -2");
    assertThatThrownBy(() -> RefusalClassifier.standard(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
