package io.sluice.http;

/**
 * Where a request path leads in a {@link RouteTable}: a target (a limiter, or anything an
 * integration keys on), or past admission altogether.
 *
 * <p>Each route is created once, when the table is built, and returned by every lookup that
 * matches it, so a lookup allocates nothing. Immutable and thread-safe.
 *
 * @param <T> the type of target
 */
public final class Route<T> {
  private final String pattern;
  private final Kind kind;
  private final T target;

  /** How a route matched. */
  public enum Kind {
    /** The path equals a path of the table. */
    EXACT,
    /** The path starts with a prefix of the table, up to a segment boundary. */
    PREFIX,
    /** Nothing matched: the table's default target. */
    DEFAULT,
    /**
     * The path could reach a different resource once the server decodes or normalizes it
     * ({@code ..} or {@code .} segments, {@code //}, encoded {@code /}, {@code \} or {@code .}, a
     * byte outside visible ASCII): the default target, and never a bypass. An integration may
     * answer 400 instead.
     */
    AMBIGUOUS
  }

  Route(String pattern, Kind kind, T target) {
    this.pattern = pattern;
    this.kind = kind;
    this.target = target;
  }

  /** Returns the path or prefix that matched; empty for the default and ambiguous routes. */
  public String pattern() {
    return pattern;
  }

  /** Returns how the route matched. */
  public Kind kind() {
    return kind;
  }

  /** Returns whether requests on this route skip admission (health checks, metrics). */
  public boolean bypass() {
    return target == null;
  }

  /** Returns whether the path was ambiguous (see {@link Kind#AMBIGUOUS}). */
  public boolean ambiguous() {
    return kind == Kind.AMBIGUOUS;
  }

  /** Returns the target of the route; null if it bypasses admission. */
  public T target() {
    return target;
  }

  @Override
  public String toString() {
    return "Route[" + kind + (pattern.isEmpty() ? "" : " " + pattern) + " -> "
        + (target == null ? "bypass" : target) + "]";
  }
}
