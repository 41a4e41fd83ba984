package io.sluice.examples.http;

import io.sluice.AdmissionRejectedException;
import io.sluice.RejectReason;
import io.sluice.client.RetryAfter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The answer to a refused request: {@code 503 Service Unavailable} when the server has no
 * capacity for it, {@code 429 Too Many Requests} when its tenant has used up its quota. Both carry
 * the same three things a client can act on.
 *
 * <ul>
 *   <li>{@code Retry-After} in delay-seconds (RFC 9110, section 10.2.3): the refusal's hint rounded
 *       up to whole seconds, at least 1 ({@link RetryAfter#format}).
 *   <li>A problem details body (RFC 9457, {@code application/problem+json}) whose {@code type} and
 *       {@code title} are the problem types of draft-ietf-httpapi-ratelimit-headers-11, section 5
 *       ({@code temporary-reduced-capacity} for 503, {@code quota-exceeded} for 429; proposed to
 *       IANA, not yet registered), with the draft's {@code violated-policies} member and two of
 *       ours: {@code reason}, the {@link RejectReason} name, and {@code retryAfterSeconds}.
 *   <li>{@code RateLimit-Policy} and {@code RateLimit} (same draft, sections 3 and 4; Structured
 *       Field lists of RFC 9651). A 503 names the policy {@code "concurrency"} with quota unit
 *       {@code concurrent-requests} and the limit in force as its quota; a 429 names the policy
 *       {@code "tenant"} with its requests per window. {@code RateLimit} says that nothing is
 *       available ({@code r=0}) for {@code t} seconds, the Retry-After, so the two fields agree
 *       (the draft asks that Retry-After not end before the effective window).
 * </ul>
 *
 * <pre>
 * HTTP/1.1 503 Service Unavailable
 * Content-Type: application/problem+json
 * Retry-After: 2
 * RateLimit-Policy: "concurrency";q=11;qu="concurrent-requests"
 * RateLimit: "concurrency";r=0;t=2
 *
 * {"type":"https://iana.org/assignments/http-problem-types#temporary-reduced-capacity",
 *  "title":"Temporary Reduced Capacity","status":503,
 *  "detail":"The server is at its concurrency limit. Retry after 2 s.",
 *  "reason":"LIMIT_REACHED","retryAfterSeconds":2,"violated-policies":["concurrency"]}
 * </pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Refusal {
  /** The media type of problem details in JSON (RFC 9457). */
  public static final String PROBLEM_JSON = "application/problem+json";
  /** The name of the server's concurrency policy in the RateLimit fields. */
  public static final String CONCURRENCY_POLICY = "concurrency";
  /** The name of the per-tenant quota policy in the RateLimit fields. */
  public static final String TENANT_POLICY = "tenant";
  /** The problem type of a 503 (draft-ietf-httpapi-ratelimit-headers-11, section 5.2). */
  public static final String CAPACITY_TYPE =
      "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity";
  /** The problem type of a 429 (draft-ietf-httpapi-ratelimit-headers-11, section 5.1). */
  public static final String QUOTA_TYPE =
      "https://iana.org/assignments/http-problem-types#quota-exceeded";

  private final int status;
  private final RejectReason reason;
  private final String retryAfter;
  private final String policy;
  private final String rateLimitPolicy;
  private final String rateLimit;
  private final String detail;

  private Refusal(int status, RejectReason reason, long retryAfterNanos, String policy,
      String rateLimitPolicy, String rateLimitSuffix, String detail) {
    this.status = status;
    this.reason = reason;
    this.retryAfter = RetryAfter.format(retryAfterNanos);
    this.policy = policy;
    this.rateLimitPolicy = rateLimitPolicy;
    this.rateLimit = '"' + policy + "\";r=0;t=" + retryAfter + rateLimitSuffix;
    this.detail = detail + " Retry after " + retryAfter + " s.";
  }

  /**
   * Returns the 503 for a request refused for capacity (any reason of the executor or the pool
   * guard), advertising {@code limit} concurrent requests as the policy's quota.
   *
   * @param limit the concurrency limit in force, zero or more
   */
  public static Refusal overloaded(AdmissionRejectedException rejection, int limit) {
    Checks.notNull("rejection", rejection);
    Checks.inRange("limit", limit, 0, Integer.MAX_VALUE);
    return new Refusal(503, rejection.reason(), rejection.retryAfterNanos(), CONCURRENCY_POLICY,
        '"' + CONCURRENCY_POLICY + "\";q=" + limit + ";qu=\"concurrent-requests\"", "",
        describe(rejection.reason()));
  }

  /**
   * Returns the 429 for a request whose tenant has used up its quota of {@code permits} requests
   * per {@code windowSeconds} seconds; the tenant is echoed as the partition key {@code pk}.
   *
   * @param retryAfterNanos the quota's exact wait, zero or more
   * @param permits in [1, 1000000]
   * @param windowSeconds in [1, 86400]
   */
  public static Refusal quotaExceeded(long retryAfterNanos, String tenant, int permits,
      int windowSeconds) {
    Checks.notNull("tenant", tenant);
    Checks.inRange("permits", permits, 1, 1_000_000);
    Checks.inRange("windowSeconds", windowSeconds, 1, 86_400);
    String key = Base64.getEncoder().encodeToString(tenant.getBytes(StandardCharsets.UTF_8));
    return new Refusal(429, RejectReason.RATE_LIMITED, retryAfterNanos, TENANT_POLICY,
        '"' + TENANT_POLICY + "\";q=" + permits + ";w=" + windowSeconds, ";pk=:" + key + ":",
        "This tenant's quota of " + permits + " requests per " + windowSeconds
            + " s is used up.");
  }

  /** Returns the status code: 503 or 429. */
  public int status() {
    return status;
  }

  /** Returns why the request was refused. */
  public RejectReason reason() {
    return reason;
  }

  /** Returns the {@code Retry-After} value, in delay-seconds. */
  public String retryAfter() {
    return retryAfter;
  }

  /** Returns the response header fields, in the order they are sent. */
  public Map<String, String> headers() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", PROBLEM_JSON);
    headers.put("Retry-After", retryAfter);
    headers.put("RateLimit-Policy", rateLimitPolicy);
    headers.put("RateLimit", rateLimit);
    return headers;
  }

  /** Returns the problem details document. */
  public String body() {
    boolean capacity = status == 503;
    return "{\"type\":" + quote(capacity ? CAPACITY_TYPE : QUOTA_TYPE)
        + ",\"title\":" + quote(capacity ? "Temporary Reduced Capacity" : "Quota Exceeded")
        + ",\"status\":" + status
        + ",\"detail\":" + quote(detail)
        + ",\"reason\":" + quote(reason.name())
        + ",\"retryAfterSeconds\":" + retryAfter
        + ",\"violated-policies\":[" + quote(policy) + "]}";
  }

  /**
   * Sends this refusal as the response and completes {@code callback} when it is written (the
   * connection stays open for the client's next request). Jetty leaves the body out of the answer
   * to a HEAD request.
   */
  public void send(Response response, Callback callback) {
    Checks.notNull("response", response);
    Checks.notNull("callback", callback);
    byte[] bytes = body().getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    headers().forEach(response.getHeaders()::put);
    response.getHeaders().put("Content-Length", String.valueOf(bytes.length));
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  @Override
  public String toString() {
    return "Refusal[" + status + ", " + reason + ", Retry-After " + retryAfter + "]";
  }

  private static String describe(RejectReason reason) {
    switch (reason) {
      case LIMIT_REACHED:
        return "The server is at its concurrency limit.";
      case QUEUE_FULL:
        return "The server's admission queue is full.";
      case QUEUE_TIMEOUT:
        return "The request waited for capacity longer than the server allows.";
      case DEADLINE:
        return "The request could not be served within its deadline.";
      case SHUTDOWN:
        return "The server is shutting down.";
      case PRIORITY_SHED:
        return "Requests of this priority are shed while more important work waits.";
      case RATE_LIMITED:
        return "The server's request rate limit is reached.";
      case CIRCUIT_OPEN:
        return "A dependency of the server is failing.";
      default:
        return "The server is overloaded.";
    }
  }

  /** Returns {@code s} as a JSON string (RFC 8259, section 7). */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
