package io.sluice.http;

import io.sluice.Priority;
import java.util.Locale;

/**
 * Reads a request's {@link Priority} from a header field ({@code X-Priority} by default), under a
 * trust policy: a client that is not trusted can never raise its own priority.
 *
 * <table>
 *   <caption>Field values</caption>
 *   <tr><th>value</th><th>level</th></tr>
 *   <tr><td>{@code critical-plus}</td><td>{@link Priority#CRITICAL_PLUS}</td></tr>
 *   <tr><td>{@code critical}</td><td>{@link Priority#CRITICAL}</td></tr>
 *   <tr><td>{@code sheddable-plus}</td><td>{@link Priority#SHEDDABLE_PLUS}</td></tr>
 *   <tr><td>{@code sheddable}</td><td>{@link Priority#SHEDDABLE}</td></tr>
 * </table>
 *
 * <p>Names are ASCII, in any case, with {@code _} allowed for {@code -}; spaces and tabs around a
 * value are ignored. The rules, in order:
 * <ol>
 *   <li>No field: the default level ({@link Priority#CRITICAL} unless configured).
 *   <li>One value that names no level (unknown, empty, too long, control characters, non-ASCII):
 *       the default level. A request is never refused for its priority field.
 *   <li>More than one value (the field repeated, or values combined with commas, RFC 9110 section
 *       5.3): the least important of the levels named and the default level. A trusted gateway
 *       that appends its level to one a client sent therefore never lets the client's win.
 *   <li>From a trusted peer (its address in {@link TrustedSources}, or an authenticated caller the
 *       integration vouches for): the level asked for.
 *   <li>From anyone else: the default level; or the level asked for if it is less important and
 *       {@link Builder#untrustedMayLower} is on (the default). Lowering one's own priority harms
 *       nobody else, and lets a well-behaved client mark its background work as sheddable.
 * </ol>
 *
 * <p>Reading a request without the field allocates nothing and checks no address: the trust
 * policy is consulted only when there is a value to trust. Reading a value given as one string
 * allocates nothing either; the work is linear in its length, which the server bounds.
 *
 * <p>Immutable and thread-safe.
 */
public final class PriorityHeader {
  /** The default field name. */
  public static final String DEFAULT_NAME = "X-Priority";

  private static final Priority[] LEVELS = Priority.values();
  private static final String[] NAMES = new String[LEVELS.length];

  static {
    for (Priority p : LEVELS) {
      NAMES[p.ordinal()] = format(p);
    }
  }

  /*
   * A scan packs what it has seen into an int: bits 0-1 count the values (saturating at 2), bits
   * 2-4 hold one more than the largest ordinal among the values that name a level (0: none).
   */
  private static final int COUNT_MASK = 3;
  private static final int LEVEL_SHIFT = 2;

  private final String name;
  private final Priority defaultPriority;
  private final TrustedSources trusted;
  private final boolean untrustedMayLower;

  private PriorityHeader(Builder b) {
    this.name = b.name;
    this.defaultPriority = b.defaultPriority;
    this.trusted = b.trusted;
    this.untrustedMayLower = b.untrustedMayLower;
  }

  /**
   * Returns a builder with the defaults: {@code X-Priority}, {@link Priority#CRITICAL}, no peer
   * trusted, untrusted clients may lower their priority.
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns the field value that names {@code priority}, e.g. {@code sheddable-plus}. */
  public static String format(Priority priority) {
    return Checks.notNull("priority", priority).name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Returns the field name. */
  public String name() {
    return name;
  }

  /** Returns the level of a request without the field, or whose field is not believed. */
  public Priority defaultPriority() {
    return defaultPriority;
  }

  /** Returns the peers whose field is believed. */
  public TrustedSources trustedSources() {
    return trusted;
  }

  /** Returns whether a peer that is not trusted may ask for a lower level than the default. */
  public boolean untrustedMayLower() {
    return untrustedMayLower;
  }

  /**
   * Returns the level of a request whose field value is {@code fieldValue}, sent by the peer at
   * {@code remoteAddress} (the connection's, never a forwarded one), trusted if it is in
   * {@link #trustedSources()}.
   *
   * @param fieldValue the value, all lines combined with commas, or null if there is none
   * @param remoteAddress the peer's IP address literal; null is not trusted
   */
  public Priority resolve(String fieldValue, CharSequence remoteAddress) {
    if (fieldValue == null) {
      return defaultPriority;
    }
    return decide(scan(fieldValue, 0), trusted.contains(remoteAddress));
  }

  /**
   * Returns the level of a request whose field value is {@code fieldValue}; {@code trusted} says
   * whether to believe it (for example, the caller authenticated as a service of yours).
   *
   * @param fieldValue the value, all lines combined with commas, or null if there is none
   */
  public Priority resolve(String fieldValue, boolean trusted) {
    if (fieldValue == null) {
      return defaultPriority;
    }
    return decide(scan(fieldValue, 0), trusted);
  }

  /**
   * Returns the level of a request whose field has the lines {@code fieldValues} (a servlet
   * request's {@code getHeaders(name)}, gRPC's {@code getAll(key)}); {@code trusted} says whether
   * to believe them.
   *
   * @param fieldValues the field's lines, none if the request has no such field
   */
  public Priority resolve(Iterable<String> fieldValues, boolean trusted) {
    Checks.notNull("fieldValues", fieldValues);
    int seen = 0;
    for (String line : fieldValues) {
      if (line != null) {
        seen = scan(line, seen);
      }
    }
    return decide(seen, trusted);
  }

  @Override
  public String toString() {
    return "PriorityHeader[" + name + ", default " + defaultPriority + ", trusted " + trusted
        + (untrustedMayLower ? ", untrusted may lower" : "") + "]";
  }

  private Priority decide(int seen, boolean trusted) {
    int count = seen & COUNT_MASK;
    int largest = (seen >>> LEVEL_SHIFT) - 1; // the least important level named, or -1
    int asked;
    if (count == 0 || largest < 0) {
      return defaultPriority;
    } else if (count == 1) {
      asked = largest;
    } else {
      asked = Math.max(largest, defaultPriority.ordinal());
    }
    if (trusted || (untrustedMayLower && asked > defaultPriority.ordinal())) {
      return LEVELS[asked];
    }
    return defaultPriority;
  }

  /** Adds the comma-separated values of one field line to what {@code seen} packs. */
  private static int scan(String line, int seen) {
    int count = seen & COUNT_MASK;
    int largest = seen >>> LEVEL_SHIFT;
    int i = 0;
    int n = line.length();
    while (i <= n) {
      int end = i;
      while (end < n && line.charAt(end) != ',') {
        end++;
      }
      int from = i;
      int to = end;
      while (from < to && isWhitespace(line.charAt(from))) {
        from++;
      }
      while (to > from && isWhitespace(line.charAt(to - 1))) {
        to--;
      }
      if (from < to) { // an empty list element is no value (RFC 9110, section 5.6.1)
        count = Math.min(count + 1, 2);
        int level = level(line, from, to);
        if (level >= 0) {
          largest = Math.max(largest, level + 1);
        }
      }
      i = end + 1;
    }
    return count | largest << LEVEL_SHIFT;
  }

  /** Returns the ordinal of the level {@code s[from, to)} names, or -1. */
  private static int level(String s, int from, int to) {
    for (int level = 0; level < NAMES.length; level++) {
      String name = NAMES[level];
      if (name.length() != to - from) {
        continue;
      }
      boolean same = true;
      for (int k = 0; k < name.length() && same; k++) {
        char c = s.charAt(from + k);
        char lower = c == '_' ? '-' : c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        same = lower == name.charAt(k);
      }
      if (same) {
        return level;
      }
    }
    return -1;
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t';
  }

  /**
   * Configures a {@link PriorityHeader}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming it. Not thread-safe.
   */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private Priority defaultPriority = Priority.CRITICAL;
    private TrustedSources trusted = TrustedSources.none();
    private boolean untrustedMayLower = true;

    private Builder() {}

    /** Sets the field name. */
    public Builder name(String name) {
      this.name = Checks.fieldName("name", name);
      return this;
    }

    /** Sets the level of requests without the field, or whose field is not believed. */
    public Builder defaultPriority(Priority priority) {
      this.defaultPriority = Checks.notNull("defaultPriority", priority);
      return this;
    }

    /** Sets the peers whose field is believed (none by default). */
    public Builder trustedSources(TrustedSources sources) {
      this.trusted = Checks.notNull("trustedSources", sources);
      return this;
    }

    /**
     * Sets whether a peer that is not trusted may ask for a level less important than the default
     * (true by default); it may never ask for a more important one.
     */
    public Builder untrustedMayLower(boolean mayLower) {
      this.untrustedMayLower = mayLower;
      return this;
    }

    /** Returns the priority header. */
    public PriorityHeader build() {
      return new PriorityHeader(this);
    }
  }
}
