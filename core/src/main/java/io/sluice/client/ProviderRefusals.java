package io.sluice.client;

import java.time.Clock;
import java.time.Instant;
import java.util.regex.Pattern;

/*
 * The standard refusal classifier (see RefusalClassifier#standard for the rules). Facts it relies
 * on, from the providers' public documentation: OpenAI-compatible APIs answer a rate limit with 429
 * and x-ratelimit-{limit,remaining,reset}-{requests,tokens} fields (resets as durations, "6m0s"),
 * and an exhausted quota with 429 and an error of type or code insufficient_quota; Anthropic-style
 * APIs answer a rate limit with 429, retry-after and anthropic-ratelimit-*-{remaining,reset}
 * fields (resets as RFC 3339 date-times), an overload with 529 overloaded_error, a billing problem
 * with 402 billing_error, and a reached spend limit with 429 and error_code
 * enforced_spend_limit_reached. Some clients also honour retry-after-ms.
 *
 * The wait of a 429 is never shorter than anything the provider said applies: the explicit
 * Retry-After fields, and the reset of every limit it reports as exhausted. A reset of a limit that
 * still has room is not a reason to wait (a 6-minute token reset must not hold back a request that
 * only waited for the request count), unless nothing else names a wait.
 */
final class ProviderRefusals implements RefusalClassifier {
  /** The longest body prefix searched for a quota marker: error bodies are small. */
  static final int BODY_SCAN_LIMIT = 64 * 1024;

  private static final Pattern QUOTA_MARKER = Pattern.compile(
      "\"(?:type|code|error_code)\"\\s*:\\s*\"(?:insufficient_quota|billing_hard_limit_reached"
          + "|billing_not_active|billing_error|enforced_spend_limit_reached)\"");

  /** Pairs of (remaining, reset) fields, one pair per limit a provider reports. */
  private static final String[][] LIMITS = {
      {"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
      {"x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"},
      {"anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"},
      {"anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"},
      {"anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"},
      {"anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"},
  };

  private final Clock wallClock;

  ProviderRefusals(Clock wallClock) {
    this.wallClock = wallClock;
  }

  @Override
  public ProviderAnswer classify(int status, ResponseHeaders headers, String body) {
    if (status >= 100 && status < 400) {
      return ProviderAnswer.accepted();
    }
    if (headers == null) {
      headers = ResponseHeaders.NONE;
    }
    if (status == 402 || ((status == 400 || status == 403 || status == 429) && quotaMarked(body))) {
      return ProviderAnswer.quotaExhausted();
    }
    if (status == 429) {
      return ProviderAnswer.rateLimited(rateLimitWait(headers));
    }
    if (status == 503 || status == 529) {
      return ProviderAnswer.overloaded(explicitWait(headers));
    }
    if (status == 408 || status == 409 || status >= 500 || status < 100) {
      return ProviderAnswer.failed(explicitWait(headers));
    }
    return ProviderAnswer.rejected();
  }

  private static boolean quotaMarked(String body) {
    if (body == null || body.isEmpty()) {
      return false;
    }
    CharSequence scanned = body.length() > BODY_SCAN_LIMIT
        ? body.subSequence(0, BODY_SCAN_LIMIT) : body;
    return QUOTA_MARKER.matcher(scanned).find();
  }

  /** The longest of retry-after-ms and Retry-After, or ABSENT. */
  private long explicitWait(ResponseHeaders headers) {
    long millis = RetryAfter.parseMillisNanos(headers.first("retry-after-ms"));
    long seconds = RetryAfter.parseNanos(headers.first("Retry-After"), wallClock);
    return Math.max(millis, seconds);
  }

  private long rateLimitWait(ResponseHeaders headers) {
    Instant now = wallClock.instant();
    long exhausted = RetryAfter.ABSENT;
    long anyReset = RetryAfter.ABSENT;
    for (String[] limit : LIMITS) {
      long reset = RetryAfter.parseResetNanos(headers.first(limit[1]), now);
      if (reset == RetryAfter.ABSENT) {
        continue;
      }
      anyReset = Math.max(anyReset, reset);
      if (isZero(headers.first(limit[0]))) {
        exhausted = Math.max(exhausted, reset);
      }
    }
    long explicit = explicitWait(headers);
    if (exhausted != RetryAfter.ABSENT) {
      return Math.max(explicit, exhausted);
    }
    return explicit != RetryAfter.ABSENT ? explicit : anyReset;
  }

  /** Whether a remaining count says the limit is exhausted: a well-formed zero. */
  private static boolean isZero(String remaining) {
    if (remaining == null) {
      return false;
    }
    String field = remaining.strip();
    if (field.isEmpty() || field.length() > 19) {
      return false;
    }
    for (int i = 0; i < field.length(); i++) {
      if (field.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "RefusalClassifier.standard(" + wallClock + ")";
  }
}
