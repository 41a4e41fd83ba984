package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.nio.charset.StandardCharsets;

/**
 * An error answer of the gateway in the OpenAI shape: a status and a body
 * {@code {"error":{"message":...,"type":...,"param":...,"code":...}}}, which OpenAI-compatible
 * clients (and {@link io.sluice.client.RefusalClassifier#standard()}, which reads {@code type} and
 * {@code code}) understand. Overload and rate-limit refusals are not these: they are
 * {@link io.sluice.http.HttpRefusal}s, with Retry-After and the RateLimit fields.
 *
 * <p>Immutable; thrown by request validation and written by the gateway.
 */
public final class ApiError extends Exception {
  private static final long serialVersionUID = 1L;

  /** The {@code type} of a request the client must change. */
  public static final String INVALID_REQUEST = "invalid_request_error";
  /** The {@code type} and {@code code} of a key whose spending limit is reached. */
  public static final String INSUFFICIENT_QUOTA = "insufficient_quota";

  private final int status;
  private final String type;
  private final String param;
  private final String code;

  /**
   * Creates an error answer.
   *
   * @param param the request field at fault, or null
   * @param code a machine-readable code, or null
   */
  public ApiError(int status, String type, String param, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = Checks.notNull("type", type);
    this.param = param;
    this.code = code;
  }

  /** Returns a 400 {@code invalid_request_error} about {@code param}. */
  static ApiError invalid(String param, String code, String message) {
    return new ApiError(400, INVALID_REQUEST, param, code, message);
  }

  /** Returns the HTTP status. */
  public int status() {
    return status;
  }

  /** Returns the error's {@code type}. */
  public String type() {
    return type;
  }

  /** Returns the request field at fault, or null. */
  public String param() {
    return param;
  }

  /** Returns the error's {@code code}, or null. */
  public String code() {
    return code;
  }

  /** Returns the JSON body. */
  public String json() {
    StringBuilder out = new StringBuilder(160).append("{\"error\":{\"message\":");
    Json.appendString(out, getMessage()).append(",\"type\":");
    Json.appendString(out, type).append(",\"param\":");
    if (param == null) {
      out.append("null");
    } else {
      Json.appendString(out, param);
    }
    out.append(",\"code\":");
    if (code == null) {
      out.append("null");
    } else {
      Json.appendString(out, code);
    }
    return out.append("}}").toString();
  }

  /** Returns the JSON body in UTF-8. */
  byte[] body() {
    return json().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "ApiError[" + status + " " + json() + "]";
  }
}
