package io.sluice.http;

import io.sluice.AdmissionRejectedException;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Makes the {@link HttpRefusal} for a rejection: from a rejection ticket or an
 * {@link AdmissionRejectedException}, the status, {@code Retry-After}, the RateLimit fields, a
 * problem details body and {@code Cache-Control: no-store}. One instance, configured once, serves
 * every request of a server.
 *
 * <pre>{@code
 * HttpRefusals refusals = HttpRefusals.newBuilder()
 *     .overloadStatus(503)                                   // the default; 429 by choice
 *     .quotaPolicy("tenant", 100, Duration.ofSeconds(1))     // what a 429 advertises
 *     .build();
 * long ticket = limiter.tryAcquire();
 * if (Ticket.isRejection(ticket)) {
 *   refusals.refuse(ticket, limiter.limit()).writeTo(writer);
 * }
 * }</pre>
 *
 * <h2>Status</h2>
 * {@link RejectReason#RATE_LIMITED}, a quota the client has used up, and
 * {@link RejectReason#FAIR_SHARE}, a tenant holding more than its fair share of the server while
 * others wait, are the client's own doing: {@code 429 Too Many Requests}. Every other reason says the server has no capacity now (limit reached, queue full or
 * timed out, deadline, priority shed, circuit open, shutting down) and gets the overload status:
 * {@code 503 Service Unavailable} by default, or {@code 429} for clients that retry only on 429.
 *
 * <h2>Fields</h2>
 * <ul>
 *   <li>{@code Content-Type: application/problem+json} and {@code Cache-Control: no-store}: a
 *       refusal describes this moment and must not be served from a cache to the next request.
 *   <li>{@code Retry-After} in delay-seconds (RFC 9110, section 10.2.3): the rejection's hint
 *       rounded up to whole seconds, at least 1, so that a refused client never returns at once
 *       ({@link #retryAfterSeconds}); it cannot overflow.
 *   <li>{@code RateLimit-Policy} and {@code RateLimit} of draft-ietf-httpapi-ratelimit-headers-11
 *       (Structured Field lists, RFC 9651). An overload names the concurrency policy
 *       ({@code "concurrency"} by default) with the limit in force as its quota {@code q} and quota
 *       unit {@code concurrent-requests}; a quota refusal names the quota policy with its
 *       {@code q} and window {@code w}, and the tenant's partition key {@code pk} when there is
 *       one. {@code RateLimit} says nothing is available ({@code r=0}) for {@code t} seconds, the
 *       Retry-After, so the two fields agree. A policy whose quota is unknown is left out of
 *       {@code RateLimit-Policy} (its {@code q} is required) but still named in {@code RateLimit}.
 *   <li>The body (RFC 9457): the draft's problem type ({@code temporary-reduced-capacity} for an
 *       overload, {@code quota-exceeded} for a quota; proposed to IANA, not yet registered), a
 *       title, the status, a detail sentence, the draft's {@code violated-policies} member and two
 *       of Sluice's: {@code reason} (the {@link RejectReason} name) and
 *       {@code retryAfterSeconds}.
 * </ul>
 *
 * <p>Immutable and thread-safe. Making a refusal allocates its strings and body (a few hundred
 * bytes); the limiter's reject path before it allocates nothing.
 */
public final class HttpRefusals {
  /** The media type of problem details in JSON (RFC 9457). */
  public static final String PROBLEM_JSON = "application/problem+json";
  /** The problem type of an overload (draft-ietf-httpapi-ratelimit-headers-11, section 5.2). */
  public static final String CAPACITY_TYPE =
      "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity";
  /** The problem type of a used-up quota (draft-ietf-httpapi-ratelimit-headers-11, 5.1). */
  public static final String QUOTA_TYPE =
      "https://iana.org/assignments/http-problem-types#quota-exceeded";
  /** What to pass as the limit when the concurrency limit in force is not known. */
  public static final int UNKNOWN_LIMIT = -1;
  /** The default name of the concurrency policy in the RateLimit fields. */
  public static final String DEFAULT_CONCURRENCY_POLICY = "concurrency";
  /** The default name of the quota policy in the RateLimit fields. */
  public static final String DEFAULT_QUOTA_POLICY = "quota";

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final HttpField CONTENT_TYPE = new HttpField("Content-Type", PROBLEM_JSON);
  private static final HttpField NO_STORE = new HttpField("Cache-Control", "no-store");
  /** Last of the constants: building it may read any of them. */
  private static final HttpRefusals STANDARD = newBuilder().build();

  private final int overloadStatus;
  private final String concurrencyName;
  private final String concurrencyItem;
  private final String quotaName;
  private final String quotaItem;
  private final String quotaPolicyField;
  private final String quotaDetail;

  private HttpRefusals(Builder b) {
    this.overloadStatus = b.overloadStatus;
    this.concurrencyName = b.concurrencyPolicy;
    this.concurrencyItem = StructuredFields.string(b.concurrencyPolicy);
    this.quotaName = b.quotaPolicy;
    this.quotaItem = StructuredFields.string(b.quotaPolicy);
    if (b.quota > 0) {
      this.quotaPolicyField = quotaItem + ";q=" + b.quota + ";w=" + b.windowSeconds;
      this.quotaDetail = "quota of " + b.quota + " requests per " + b.windowSeconds + " s";
    } else {
      this.quotaPolicyField = null;
      this.quotaDetail = "request quota";
    }
  }

  /** Returns the refusals of the defaults: 503 for an overload, policies named as documented. */
  public static HttpRefusals standard() {
    return STANDARD;
  }

  /** Returns a builder with the defaults: overload status 503, no quota policy advertised. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Returns the {@code Retry-After} delay-seconds of a hint: whole seconds rounded up, and at
   * least 1 so that a refused client never comes back at once. Saturates: the largest hint, about
   * 292 years, gives 9223372037 rather than overflowing.
   *
   * @param retryAfterNanos zero or more
   */
  public static long retryAfterSeconds(long retryAfterNanos) {
    Checks.inRange("retryAfterNanos", retryAfterNanos, 0, Long.MAX_VALUE);
    // Divide, then round: adding NANOS_PER_SECOND - 1 first would overflow near Long.MAX_VALUE.
    long seconds = retryAfterNanos / NANOS_PER_SECOND;
    if (retryAfterNanos % NANOS_PER_SECOND != 0) {
      seconds++;
    }
    return Math.max(1L, seconds);
  }

  /** Returns the status of an overload: 503 or 429. */
  public int overloadStatus() {
    return overloadStatus;
  }

  /**
   * Returns the status a refusal for {@code reason} gets: 429 for a quota or a tenant's fair
   * share, else the overload's.
   */
  public int status(RejectReason reason) {
    Checks.notNull("reason", reason);
    return clientsDoing(reason) ? 429 : overloadStatus;
  }

  private static boolean clientsDoing(RejectReason reason) {
    return reason == RejectReason.RATE_LIMITED || reason == RejectReason.FAIR_SHARE;
  }

  /**
   * Returns the refusal for a rejection ticket.
   *
   * @param ticket a rejection (negative) ticket
   * @param limit the concurrency limit in force (the quota of the concurrency policy), or
   *     {@link #UNKNOWN_LIMIT}
   * @throws IllegalArgumentException if {@code ticket} is a permit or {@code limit} is below -1
   */
  public HttpRefusal refuse(long ticket, int limit) {
    return refuse(ticket, limit, null);
  }

  /**
   * Returns the refusal for a rejection ticket of a tenant's request. For a quota refusal the
   * tenant is the partition key ({@code pk}) of the {@code RateLimit} field; an overload does not
   * name it (the concurrency limit is the server's, not the tenant's).
   *
   * @param ticket a rejection (negative) ticket
   * @param limit the concurrency limit in force, or {@link #UNKNOWN_LIMIT}
   * @param tenant the request's tenant, or null
   */
  public HttpRefusal refuse(long ticket, int limit, Tenant tenant) {
    if (Ticket.isPermit(ticket)) {
      throw new IllegalArgumentException("ticket must be a rejection (negative) but was "
          + Ticket.toString(ticket));
    }
    return refuse(Ticket.reason(ticket), Ticket.retryAfterNanos(ticket), limit, tenant);
  }

  /**
   * Returns the refusal for a rejection thrown by a guard (an executor, a pool guard).
   *
   * @param limit the concurrency limit in force, or {@link #UNKNOWN_LIMIT}
   */
  public HttpRefusal refuse(AdmissionRejectedException rejection, int limit) {
    Checks.notNull("rejection", rejection);
    return refuse(rejection.reason(), rejection.retryAfterNanos(), limit, null);
  }

  /**
   * Returns the {@code 400 Bad Request} for a malformed header field: a problem details body of
   * type {@code about:blank} that names the field and the rule it breaks (never its value), and
   * {@code Cache-Control: no-store}; no {@code Retry-After}, since the same request would fail
   * again.
   */
  public HttpRefusal badRequest(MalformedHeaderException malformed) {
    Checks.notNull("malformed", malformed);
    StringBuilder body = new StringBuilder(160)
        .append("{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,\"detail\":");
    Json.appendString(body, "The " + malformed.fieldName() + " header field is malformed: "
        + malformed.problem() + ".");
    body.append('}');
    return new HttpRefusal(400, null, 0, List.of(CONTENT_TYPE, NO_STORE), ascii(body));
  }

  @Override
  public String toString() {
    return "HttpRefusals[overload " + overloadStatus + ", " + concurrencyItem + ", "
        + (quotaPolicyField == null ? quotaItem : quotaPolicyField) + "]";
  }

  private HttpRefusal refuse(RejectReason reason, long retryAfterNanos, int limit, Tenant tenant) {
    Checks.inRange("limit", limit, UNKNOWN_LIMIT, Integer.MAX_VALUE);
    long seconds = retryAfterSeconds(retryAfterNanos);
    boolean quota = reason == RejectReason.RATE_LIMITED;
    int status = clientsDoing(reason) ? 429 : overloadStatus;

    String policyField;
    StringBuilder rateLimit = new StringBuilder(64);
    if (quota) {
      policyField = quotaPolicyField;
      rateLimit.append(quotaItem).append(";r=0;t=").append(seconds);
      if (tenant != null) {
        rateLimit.append(";pk=").append(tenant.partitionKey());
      }
    } else {
      policyField = limit == UNKNOWN_LIMIT ? null
          : concurrencyItem + ";q=" + limit + ";qu=\"concurrent-requests\"";
      rateLimit.append(concurrencyItem).append(";r=0;t=").append(seconds);
    }
    String retryAfter = Long.toString(seconds);
    List<HttpField> fields = policyField == null
        ? List.of(CONTENT_TYPE, NO_STORE, new HttpField("Retry-After", retryAfter),
            new HttpField("RateLimit", rateLimit.toString()))
        : List.of(CONTENT_TYPE, NO_STORE, new HttpField("Retry-After", retryAfter),
            new HttpField("RateLimit-Policy", policyField),
            new HttpField("RateLimit", rateLimit.toString()));

    StringBuilder body = new StringBuilder(320).append("{\"type\":\"")
        .append(quota ? QUOTA_TYPE : CAPACITY_TYPE)
        .append("\",\"title\":\"").append(quota ? "Quota Exceeded" : "Temporary Reduced Capacity")
        .append("\",\"status\":").append(status)
        .append(",\"detail\":\"");
    if (quota) {
      body.append(tenant == null ? "The " : "This tenant's ").append(quotaDetail)
          .append(" is used up.");
    } else {
      body.append(describe(reason));
    }
    body.append(" Retry after ").append(seconds).append(" s.\",\"reason\":\"")
        .append(reason.name())
        .append("\",\"retryAfterSeconds\":").append(seconds)
        .append(",\"violated-policies\":[");
    Json.appendString(body, quota ? quotaName : concurrencyName);
    body.append("]}");
    return new HttpRefusal(status, reason, seconds, fields, ascii(body));
  }

  private static byte[] ascii(StringBuilder text) {
    return text.toString().getBytes(StandardCharsets.US_ASCII);
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
      case CIRCUIT_OPEN:
        return "A dependency of the server is failing.";
      case FAIR_SHARE:
        return "This tenant holds more than its fair share of the server while others wait.";
      case PROCESS_OVERLOADED:
        return "The server process is overloaded; low-priority requests are shed.";
      default:
        return "The server is overloaded.";
    }
  }

  /**
   * Configures {@link HttpRefusals}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and what is allowed. Not
   * thread-safe.
   */
  public static final class Builder {
    private int overloadStatus = 503;
    private String concurrencyPolicy = DEFAULT_CONCURRENCY_POLICY;
    private String quotaPolicy = DEFAULT_QUOTA_POLICY;
    private long quota;
    private long windowSeconds;

    private Builder() {}

    /**
     * Sets the status of an overload: {@code 503 Service Unavailable} (the default: the server's
     * state) or {@code 429 Too Many Requests} (for clients that back off only on 429).
     *
     * @param status 503 or 429
     */
    public Builder overloadStatus(int status) {
      if (status != 503 && status != 429) {
        throw new IllegalArgumentException("overloadStatus must be 503 or 429 but was " + status);
      }
      this.overloadStatus = status;
      return this;
    }

    /**
     * Sets the name of the concurrency policy in the RateLimit fields.
     *
     * @param name printable ASCII (a Structured Field String), not empty
     */
    public Builder concurrencyPolicy(String name) {
      this.concurrencyPolicy = policyName("concurrencyPolicy", name);
      return this;
    }

    /**
     * Sets the quota policy that a 429 advertises in {@code RateLimit-Policy}: {@code quota}
     * requests per {@code window} (per tenant when the refusal names one). Without it, a 429
     * names the policy {@code "quota"} in {@code RateLimit} only.
     *
     * @param name printable ASCII (a Structured Field String), not empty
     * @param quota in [1, 999999999999999]
     * @param window whole seconds, in [1 s, 999999999999999 s]
     */
    public Builder quotaPolicy(String name, long quota, Duration window) {
      String checked = policyName("quotaPolicy name", name);
      Checks.inRange("quotaPolicy quota", quota, 1, StructuredFields.MAX_INTEGER);
      Checks.notNull("quotaPolicy window", window);
      if (window.getNano() != 0 || window.getSeconds() < 1
          || window.getSeconds() > StructuredFields.MAX_INTEGER) {
        throw new IllegalArgumentException("quotaPolicy window must be whole seconds in [PT1S, PT"
            + StructuredFields.MAX_INTEGER + "S] but was " + window);
      }
      this.quotaPolicy = checked;
      this.quota = quota;
      this.windowSeconds = window.getSeconds();
      return this;
    }

    /** Returns the refusals. */
    public HttpRefusals build() {
      return new HttpRefusals(this);
    }

    private static String policyName(String parameter, String name) {
      Checks.notNull(parameter, name);
      if (name.isEmpty() || !StructuredFields.isString(name)) {
        throw new IllegalArgumentException(parameter
            + " must be printable ASCII (a Structured Field String), not empty, but was " + name);
      }
      return name;
    }
  }
}
