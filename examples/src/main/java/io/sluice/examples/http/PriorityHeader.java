package io.sluice.examples.http;

import io.sluice.Priority;
import java.util.Locale;

/**
 * Maps the {@code X-Priority} request header to a {@link Priority}, the criticality levels that
 * the {@link io.sluice.executor.AdmissionExecutor} sheds lowest first.
 *
 * <table>
 *   <caption>Header values</caption>
 *   <tr><th>{@code X-Priority}</th><th>level</th></tr>
 *   <tr><td>{@code critical-plus}</td><td>{@link Priority#CRITICAL_PLUS}</td></tr>
 *   <tr><td>{@code critical}, absent, or anything else</td><td>{@link Priority#CRITICAL}</td></tr>
 *   <tr><td>{@code sheddable-plus}</td><td>{@link Priority#SHEDDABLE_PLUS}</td></tr>
 *   <tr><td>{@code sheddable}</td><td>{@link Priority#SHEDDABLE}</td></tr>
 * </table>
 *
 * <p>Values are case-insensitive, surrounding spaces are ignored and {@code _} may stand for
 * {@code -}. An unknown value means the default level rather than an error: a request is never
 * refused for its priority header. Trust this header only from a gateway you control; otherwise
 * every client will call itself critical.
 *
 * <p>Stateless; safe from any thread.
 */
public final class PriorityHeader {
  /** The header's name. */
  public static final String NAME = "X-Priority";

  private PriorityHeader() {}

  /** Returns the level that a header value asks for; {@link Priority#CRITICAL} if none or unknown. */
  public static Priority parse(String value) {
    if (value == null) {
      return Priority.CRITICAL;
    }
    switch (value.strip().toLowerCase(Locale.ROOT).replace('_', '-')) {
      case "critical-plus":
        return Priority.CRITICAL_PLUS;
      case "sheddable-plus":
        return Priority.SHEDDABLE_PLUS;
      case "sheddable":
        return Priority.SHEDDABLE;
      default:
        return Priority.CRITICAL;
    }
  }

  /** Returns the header value that names {@code priority}, e.g. {@code sheddable-plus}. */
  public static String format(Priority priority) {
    return Checks.notNull("priority", priority).name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
