package io.sluice.http;

import io.sluice.RejectReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The complete answer to a request that is not served: a status code, the header fields in the
 * order they are sent, and a problem details body (RFC 9457, {@code application/problem+json}).
 * {@link HttpRefusals} makes them; an integration sends one with {@link #writeTo}, or reads its
 * parts (a gRPC interceptor takes {@link #reason()} and {@link #retryAfterSeconds()}).
 *
 * <pre>
 * HTTP/1.1 503 Service Unavailable
 * Content-Type: application/problem+json
 * Cache-Control: no-store
 * Retry-After: 2
 * RateLimit-Policy: "concurrency";q=11;qu="concurrent-requests"
 * RateLimit: "concurrency";r=0;t=2
 *
 * {"type":"https://iana.org/assignments/http-problem-types#temporary-reduced-capacity",...}
 * </pre>
 *
 * <p>Immutable and thread-safe: the body is copied out, never handed out.
 */
public final class HttpRefusal {
  private final int status;
  private final RejectReason reason;
  private final long retryAfterSeconds;
  private final List<HttpField> fields;
  private final byte[] body;

  HttpRefusal(int status, RejectReason reason, long retryAfterSeconds, List<HttpField> fields,
      byte[] body) {
    this.status = status;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
    this.fields = fields;
    this.body = body;
  }

  /** Returns the status code: 503 or 429 for a refusal, 400 for a malformed request. */
  public int status() {
    return status;
  }

  /** Returns why the request was refused; null for a 400, which no limiter decided. */
  public RejectReason reason() {
    return reason;
  }

  /**
   * Returns the {@code Retry-After} value in whole seconds: at least 1 for a refusal, 0 for a 400
   * (which carries no {@code Retry-After}: the same request would fail again).
   */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** Returns the header fields, in the order they are sent (an immutable list). */
  public List<HttpField> fields() {
    return fields;
  }

  /** Returns the value of the field named {@code name} (in any case), or null if there is none. */
  public String field(String name) {
    for (HttpField field : fields) {
      if (field.name().equalsIgnoreCase(name)) {
        return field.value();
      }
    }
    return null;
  }

  /** Returns a copy of the body: a problem details document in UTF-8 (ASCII, in fact). */
  public byte[] body() {
    return body.clone();
  }

  /** Returns the length of the body in bytes. */
  public int bodyLength() {
    return body.length;
  }

  /** Returns the body as text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * Writes this refusal: the status, every field in order, then a copy of the body.
   *
   * @throws IOException if the writer fails to write the body
   */
  public void writeTo(ResponseWriter writer) throws IOException {
    Checks.notNull("writer", writer);
    writer.status(status);
    for (HttpField field : fields) {
      writer.header(field.name(), field.value());
    }
    writer.body(body.clone());
  }

  @Override
  public String toString() {
    return "HttpRefusal[" + status + (reason == null ? "" : ", " + reason)
        + (retryAfterSeconds == 0 ? "" : ", Retry-After " + retryAfterSeconds) + "]";
  }
}
