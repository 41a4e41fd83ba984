package io.sluice.examples.llm;

import io.sluice.http.HttpField;
import io.sluice.http.HttpRefusal;
import io.sluice.rate.TokenQuota;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The gateway's answers that are not a completion: refusals (503 and 429 with {@code
 * Retry-After}, {@code retry-after-ms} and the key's {@code x-ratelimit-*} fields) and OpenAI
 * error bodies, with the counts and times the demo reports. Thread-safe.
 */
final class GatewayReplies {
  private final int maxBodyBytes;
  private final GatewayPhases phases;
  private final LongAdder badRequests = new LongAdder();
  private final Histogram refusalNanos = new Histogram();

  /** Creates the replies of a gateway whose bodies are at most {@code maxBodyBytes}. */
  GatewayReplies(int maxBodyBytes, GatewayPhases phases) {
    this.maxBodyBytes = maxBodyBytes;
    this.phases = phases;
  }

  /** Returns the requests answered 400, 401, 404, 405, 413 or 415. */
  long badRequests() {
    return badRequests.sum();
  }

  /** Returns quantile {@code q} of the time from the handler's start to a refusal written. */
  long refusalNanos(double q) {
    return refusalNanos.quantileNanos(q);
  }

  /** Returns how many refusals {@link #refusalNanos} measured. */
  long refusalsTimed() {
    return refusalNanos.count();
  }

  /** Returns the error of a body over the size limit. */
  ApiError tooLarge() {
    return new ApiError(413, ApiError.INVALID_REQUEST, null, "request_too_large",
        "The body must be at most " + maxBodyBytes + " bytes.");
  }

  /** Puts the key's x-ratelimit-* fields (OpenAI's names) on a response's fields. */
  static void rateLimitFields(HttpFields.Mutable fields, ApiKeys.Key key) {
    ApiKeys.TierQuotas quotas = key.quotas();
    ApiKeys.Tier tier = quotas.tier;
    field(fields, "requests", tier.requestsPerMinute(), quotas.requests, key);
    field(fields, "tokens", tier.tokensPerMinute(), quotas.tokens, key);
  }

  private static void field(HttpFields.Mutable fields, String what, int perMinute,
      TokenQuota<ApiKeys.Key> quota, ApiKeys.Key key) {
    long available = quota.availableCost(key);
    long missing = perMinute - available + quota.debt(key);
    long resetNanos = (long) Math.ceil(missing * 60e9 / perMinute);
    fields.put("x-ratelimit-limit-" + what, perMinute);
    fields.put("x-ratelimit-remaining-" + what, available);
    fields.put("x-ratelimit-reset-" + what, duration(resetNanos));
  }

  /** Returns a duration as providers write reset fields: {@code "20ms"}, {@code "1.5s"}. */
  static String duration(long nanos) {
    if (nanos < 1_000_000_000L) {
      return (nanos + 999_999) / 1_000_000 + "ms";
    }
    return String.format(Locale.ROOT, "%.3fs", nanos / 1e9);
  }

  /**
   * Writes a refusal with its Retry-After, and the key's rate-limit fields unless {@code key} is
   * null; {@code received} is when the handler started.
   */
  void refuse(Response response, Callback callback, HttpRefusal refusal,
      long retryAfterNanos, ApiKeys.Key key, long received) {
    response.setStatus(refusal.status());
    HttpFields.Mutable headers = response.getHeaders();
    for (HttpField field : refusal.fields()) {
      headers.put(field.name(), field.value());
    }
    // Retry-After rounds up to whole seconds; retry-after-ms (read by OpenAI's client libraries)
    // gives the hint to the millisecond, rounded up.
    headers.put("retry-after-ms", Long.toString(Math.max(1, (retryAfterNanos + 999_999)
        / 1_000_000)));
    if (key != null) {
      rateLimitFields(headers, key);
    }
    headers.put(HttpHeader.CONTENT_LENGTH, refusal.bodyLength());
    response.write(true, ByteBuffer.wrap(refusal.body()), callback);
    long took = System.nanoTime() - received;
    refusalNanos.record(took);
    phases.refusal.record(took);
  }

  /** Writes an OpenAI error body; returns true (the request is handled). */
  boolean error(Response response, Callback callback, ApiError error) {
    if (error.status() != 429) {
      badRequests.increment();
    }
    byte[] body = error.body();
    response.setStatus(error.status());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }
}
