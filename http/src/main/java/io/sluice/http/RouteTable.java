package io.sluice.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a request path to a {@link Route}: a limiter (or any target) per path or path prefix,
 * paths that bypass admission (health checks, metrics), and a default for everything else.
 *
 * <pre>{@code
 * RouteTable<Limiter> routes = RouteTable.newBuilder(apiLimiter)
 *     .prefix("/search", searchLimiter)      // /search and /search/..., not /searchx
 *     .exact("/upload", uploadLimiter)
 *     .bypass("/health")
 *     .bypassPrefix("/metrics")
 *     .build();
 * Route<Limiter> route = routes.route(request.getRequestURI());   // the raw path
 * }</pre>
 *
 * <h2>Matching</h2>
 * The path is matched as the client sent it, before any percent-decoding or removal of dot
 * segments, and without the query: a servlet's {@code getRequestURI()}, Jetty's
 * {@code getHttpURI().getPath()}. {@code /%71uery} is not {@code /query}, so that whatever filters
 * a path string upstream (a gateway, a firewall) sees the string that Sluice routes on. An exact
 * path matches only itself. A prefix matches itself and the paths that continue it with
 * {@code /}: {@code /search} matches {@code /search} and {@code /search/x} but neither
 * {@code /searchx} nor {@code /search;v=1}. The longest match wins, and an exact path wins over a
 * prefix of the same length. Case matters.
 *
 * <h2>Ambiguous paths never bypass</h2>
 * A path that the server might decode or normalize into another resource ({@code ..} or
 * {@code .} segments, with or without {@code ;parameters}, {@code //}, {@code %2e}, {@code %2f},
 * {@code %5c}, {@code \}, a control, space or non-ASCII character, no leading {@code /}) gets the
 * {@link Route.Kind#AMBIGUOUS} route: the default target, never a bypass. Otherwise
 * {@code /health/../admin} would skip admission on a bypassed {@code /health} prefix and reach
 * {@code /admin}. An integration may answer such paths 400; most servers reject them already.
 *
 * <h2>Cost</h2>
 * One pass over the path: it computes the hash of every prefix ending at a {@code /} on the way,
 * up to the length of the longest route, and probes an open-addressing table where a prefix of
 * that length exists, comparing characters in place; the rest of the path is only checked for
 * ambiguity. A lookup allocates nothing and costs at most one probe per segment, whatever the
 * number of routes; a table with a default alone hashes nothing.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the type of target
 */
public final class RouteTable<T> {
  /*
   * Design: two open-addressing tables (exact paths, prefixes), linear probing, capacity a power
   * of two at least twice the entries. Keys are found by String.hashCode's formula (h = 31h + c),
   * which the lookup accumulates character by character, so the hash of path[0, i) is at hand
   * when the scan reaches a '/' at i, without a substring. The hash is a chain of dependent
   * multiply-adds, the slowest part of the scan: it stops at the length of the longest key
   * (no key can match a longer prefix), and a table of no key computes none. The rest of the
   * path is only checked for ambiguity, one table lookup per character.
   */

  /** Per ASCII character: 0 ordinary, 1 '/', 2 '%', 3 never in an unambiguous path. */
  private static final byte[] CHAR_CLASS = new byte[128];
  private static final byte ORDINARY = 0;
  private static final byte SLASH = 1;
  private static final byte PERCENT = 2;
  private static final byte AMBIGUOUS = 3;

  static {
    for (int c = 0; c < 128; c++) {
      CHAR_CLASS[c] = c <= ' ' || c > '~' || c == '\\' ? AMBIGUOUS
          : c == '/' ? SLASH : c == '%' ? PERCENT : ORDINARY;
    }
  }

  private final Route<T> defaultRoute;
  private final Route<T> ambiguousRoute;
  private final Table<T> exact;
  private final Table<T> prefixes;
  private final List<Route<T>> routes;
  /** The length of the longest key, exact or prefix: the hash is needed up to there only. */
  private final int hashedLength;

  private RouteTable(Builder<T> b) {
    this.defaultRoute = new Route<>("", Route.Kind.DEFAULT, b.defaultTarget);
    this.ambiguousRoute = new Route<>("", Route.Kind.AMBIGUOUS, b.defaultTarget);
    this.exact = new Table<>(b.exact);
    this.prefixes = new Table<>(b.prefixes);
    List<Route<T>> all = new ArrayList<>(b.exact.values());
    all.addAll(b.prefixes.values());
    all.add(defaultRoute);
    this.routes = List.copyOf(all);
    int longest = 0;
    for (String key : b.exact.keySet()) {
      longest = Math.max(longest, key.length());
    }
    for (String key : b.prefixes.keySet()) {
      longest = Math.max(longest, key.length());
    }
    this.hashedLength = longest;
  }

  /**
   * Returns a builder of a table whose unmatched paths go to {@code defaultTarget}.
   *
   * @param defaultTarget not null: every path that is not bypassed is admitted by something
   */
  public static <T> Builder<T> newBuilder(T defaultTarget) {
    return new Builder<>(Checks.notNull("defaultTarget", defaultTarget));
  }

  /**
   * Returns the route of a raw request path (never null).
   *
   * @param rawPath the path as sent, without the query; null is ambiguous
   */
  public Route<T> route(CharSequence rawPath) {
    if (rawPath == null || rawPath.length() == 0 || rawPath.charAt(0) != '/') {
      return ambiguousRoute;
    }
    int n = rawPath.length();
    int hashed = Math.min(n, hashedLength); // path[0, hashed) is hashed; no key is longer
    int hash = '/';
    int segment = 1; // where the current segment starts
    Route<T> best = null;
    for (int i = 1; i < n; i++) {
      char c = rawPath.charAt(i);
      byte kind = c < 128 ? CHAR_CLASS[c] : AMBIGUOUS;
      if (kind == SLASH) {
        if (i == segment || isDotSegment(rawPath, segment, i)) {
          return ambiguousRoute; // an empty segment ("//"), or "." or ".."
        }
        if (i <= hashed && prefixes.mayHoldLength(i)) {
          Route<T> prefix = prefixes.find(rawPath, i, hash);
          best = prefix != null ? prefix : best;
        }
        segment = i + 1;
      } else if (kind == AMBIGUOUS || (kind == PERCENT && isEncodedSeparator(rawPath, i))) {
        return ambiguousRoute;
      }
      if (i < hashed) {
        hash = 31 * hash + c;
      }
    }
    if (isDotSegment(rawPath, segment, n)) {
      return ambiguousRoute;
    }
    if (n > hashed) { // longer than every key: only a prefix can match, and one did or none
      return best != null ? best : defaultRoute;
    }
    Route<T> route = exact.mayHoldLength(n) ? exact.find(rawPath, n, hash) : null;
    if (route == null && prefixes.mayHoldLength(n)) {
      route = prefixes.find(rawPath, n, hash);
    }
    return route != null ? route : best != null ? best : defaultRoute;
  }

  /** Returns the route of paths that match nothing. */
  public Route<T> defaultRoute() {
    return defaultRoute;
  }

  /** Returns every route: exact paths, then prefixes, each in the order added, then the default. */
  public List<Route<T>> routes() {
    return routes;
  }

  @Override
  public String toString() {
    return "RouteTable" + routes;
  }

  /** Returns whether {@code s[from, to)}, up to any {@code ;parameters}, is "." or "..". */
  private static boolean isDotSegment(CharSequence s, int from, int to) {
    if (from >= to || s.charAt(from) != '.') {
      return false;
    }
    int end = from;
    while (end < to && s.charAt(end) != ';') {
      end++;
    }
    int length = end - from;
    return (length == 1 || length == 2) && s.charAt(from) == '.'
        && (length == 1 || s.charAt(from + 1) == '.');
  }

  /** Returns whether the {@code %} at {@code i} starts {@code %2e}, {@code %2f} or {@code %5c}. */
  private static boolean isEncodedSeparator(CharSequence s, int i) {
    if (i + 2 >= s.length()) {
      return false;
    }
    char hi = s.charAt(i + 1);
    char lo = (char) (s.charAt(i + 2) | 0x20);
    return (hi == '2' && (lo == 'e' || lo == 'f')) || (hi == '5' && lo == 'c');
  }

  /** Checks a configured path: what a request path may be, and never ambiguous itself. */
  private static String checkPath(String parameter, String path) {
    Checks.notNull(parameter, path);
    boolean valid = path.startsWith("/") && path.indexOf('?') < 0 && path.indexOf('#') < 0;
    if (valid) {
      Route<Object> probe = new RouteTable<>(new Builder<>(new Object())).route(path);
      valid = !probe.ambiguous();
    }
    if (!valid) {
      throw new IllegalArgumentException(parameter + " must be a raw absolute path of visible"
          + " ASCII, without query, fragment, \"//\", dot segments or encoded separators,"
          + " but was " + path);
    }
    return path;
  }

  private static String checkPrefix(String parameter, String prefix) {
    String path = checkPath(parameter, prefix);
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException(parameter
          + " must not be \"/\", which matches every path: use the default target");
    }
    return trimmed;
  }

  /** An open-addressing table of routes by path. */
  private static final class Table<T> {
    private final String[] keys;
    private final int[] hashes;
    private final Route<T>[] routes;
    private final int mask;
    /** Bit k is set if a key has length k (k below 64): most probes are skipped without a hash. */
    private final long lengths;
    private final boolean longKeys;

    @SuppressWarnings("unchecked")
    Table(Map<String, Route<T>> entries) {
      int capacity = Integer.highestOneBit(Math.max(2, entries.size() * 2) - 1) << 1;
      this.keys = new String[capacity];
      this.hashes = new int[capacity];
      this.routes = (Route<T>[]) new Route<?>[capacity];
      this.mask = capacity - 1;
      long lengths = 0;
      boolean longKeys = false;
      for (String key : entries.keySet()) {
        if (key.length() < 64) {
          lengths |= 1L << key.length();
        } else {
          longKeys = true;
        }
      }
      this.lengths = lengths;
      this.longKeys = longKeys;
      for (Map.Entry<String, Route<T>> e : entries.entrySet()) {
        int h = e.getKey().hashCode();
        int slot = spread(h) & mask;
        while (keys[slot] != null) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = e.getKey();
        hashes[slot] = h;
        routes[slot] = e.getValue();
      }
    }

    /** Returns false if no key has {@code length} characters. */
    boolean mayHoldLength(int length) {
      return length < 64 ? (lengths >>> length & 1) != 0 : longKeys;
    }

    /** Returns the route whose key is {@code s[0, length)}, whose hash is {@code hash}; or null. */
    Route<T> find(CharSequence s, int length, int hash) {
      for (int slot = spread(hash) & mask; keys[slot] != null; slot = (slot + 1) & mask) {
        String key = keys[slot];
        if (hashes[slot] == hash && key.length() == length && sameChars(key, s, length)) {
          return routes[slot];
        }
      }
      return null;
    }

    private static boolean sameChars(String key, CharSequence s, int length) {
      for (int i = 0; i < length; i++) {
        if (key.charAt(i) != s.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    /** Mixes the high bits in, as HashMap does, so that similar paths spread over the table. */
    private static int spread(int h) {
      return h ^ (h >>> 16);
    }
  }

  /**
   * Configures a {@link RouteTable}. Every method checks its arguments and throws an
   * {@link IllegalArgumentException} naming them: a path that is not a raw absolute path, or one
   * added twice. Not thread-safe.
   *
   * @param <T> the type of target
   */
  public static final class Builder<T> {
    private final T defaultTarget;
    private final Map<String, Route<T>> exact = new LinkedHashMap<>();
    private final Map<String, Route<T>> prefixes = new LinkedHashMap<>();

    private Builder(T defaultTarget) {
      this.defaultTarget = defaultTarget;
    }

    /** Routes exactly {@code path} to {@code target}. */
    public Builder<T> exact(String path, T target) {
      return add(exact, checkPath("path", path), Route.Kind.EXACT,
          Checks.notNull("target", target));
    }

    /**
     * Routes {@code prefix} and every path under it ({@code prefix/...}) to {@code target}; a
     * trailing {@code /} is ignored.
     */
    public Builder<T> prefix(String prefix, T target) {
      return add(prefixes, checkPrefix("prefix", prefix), Route.Kind.PREFIX,
          Checks.notNull("target", target));
    }

    /** Lets exactly {@code path} skip admission. */
    public Builder<T> bypass(String path) {
      return add(exact, checkPath("path", path), Route.Kind.EXACT, null);
    }

    /** Lets {@code prefix} and every path under it skip admission. */
    public Builder<T> bypassPrefix(String prefix) {
      return add(prefixes, checkPrefix("prefix", prefix), Route.Kind.PREFIX, null);
    }

    /** Returns the table. */
    public RouteTable<T> build() {
      return new RouteTable<>(this);
    }

    private Builder<T> add(Map<String, Route<T>> table, String path, Route.Kind kind, T target) {
      if (table.containsKey(path)) {
        throw new IllegalArgumentException((kind == Route.Kind.EXACT ? "path " : "prefix ")
            + path + " is routed twice");
      }
      table.put(path, new Route<>(path, kind, target));
      return this;
    }
  }
}
