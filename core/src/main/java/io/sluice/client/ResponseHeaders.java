package io.sluice.client;

import java.util.Map;
import java.util.TreeMap;

/**
 * The header fields of a response, as the classes of this package read them, so that they work
 * with any HTTP client. With {@code java.net.http}:
 *
 * <pre>{@code
 * ResponseHeaders headers = name -> response.headers().firstValue(name).orElse(null);
 * }</pre>
 *
 * <p>Implementations must compare names case-insensitively, as HTTP does (the JDK's
 * {@code HttpHeaders} and most clients' header maps do), and be safe to read from the thread that
 * handles the response.
 */
@FunctionalInterface
public interface ResponseHeaders {
  /** Headers with no field at all. */
  ResponseHeaders NONE = name -> null;

  /** Returns the first value of the field {@code name} (compared case-insensitively), or null. */
  String first(String name);

  /** Returns headers holding a copy of {@code fields}, names compared case-insensitively. */
  static ResponseHeaders of(Map<String, String> fields) {
    TreeMap<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    copy.putAll(fields);
    return copy::get;
  }
}
