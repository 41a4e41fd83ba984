package io.sluice.http;

/**
 * One response header field: a name as registered (case is not significant in HTTP) and a value
 * ready to send, already encoded (ASCII only).
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the field name, e.g. {@code Retry-After}
 * @param value the field value, e.g. {@code 2}
 */
public record HttpField(String name, String value) {
  /** Checks that both parts are present. */
  public HttpField {
    Checks.notNull("name", name);
    Checks.notNull("value", value);
  }
}
