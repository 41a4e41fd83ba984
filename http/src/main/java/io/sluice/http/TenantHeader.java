package io.sluice.http;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Reads the tenant of a request from a header field ({@code X-Tenant} by default), for per-tenant
 * quotas and the partition key of the RateLimit fields.
 *
 * <table>
 *   <caption>Field values and results</caption>
 *   <tr><th>the request has</th><th>result</th></tr>
 *   <tr><td>no such field</td><td>the anonymous tenant ({@code anonymous} by default), or
 *       {@link MalformedHeaderException} if the field is {@link Builder#required}</td></tr>
 *   <tr><td>one value of 1 to {@code maxOctets} octets, no control character, no comma</td>
 *       <td>the tenant of those octets, surrounding spaces and tabs removed</td></tr>
 *   <tr><td>the field twice, or a comma (two values combined, RFC 9110 section 5.3), an empty
 *       value, a longer one, a control character</td>
 *       <td>{@link MalformedHeaderException}: answer {@link HttpRefusals#badRequest}</td></tr>
 * </table>
 *
 * <p>A malformed field is a 400 rather than the anonymous tenant: which quota to charge is
 * ambiguous, and mapping garbage to a shared tenant would let one client spend everyone's quota.
 * Octets above {@code 0x7F} are kept as they are (a name sent in UTF-8 stays those octets, see
 * {@link Tenant}). A value with a character above {@code U+00FF}, which no server decoding octets
 * one by one produces, is taken as Unicode text and encoded in UTF-8, once.
 *
 * <p>Work per value is bounded by {@code maxOctets}, however long the field: a longer value is
 * refused before it is scanned. Reading a request without the field allocates nothing.
 *
 * <p>Immutable and thread-safe.
 */
public final class TenantHeader {
  /** The default field name. */
  public static final String DEFAULT_NAME = "X-Tenant";
  /** The default anonymous tenant's name. */
  public static final String DEFAULT_ANONYMOUS = "anonymous";
  /** The default longest value, in octets. */
  public static final int DEFAULT_MAX_OCTETS = 128;

  private final String name;
  private final Tenant anonymous;
  private final int maxOctets;

  private TenantHeader(Builder b) {
    this.name = b.name;
    this.anonymous = b.anonymous;
    this.maxOctets = b.maxOctets;
  }

  /** Returns a builder with the defaults: {@code X-Tenant}, {@code anonymous}, 128 octets. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns the field name. */
  public String name() {
    return name;
  }

  /** Returns the tenant of a request without the field; null if the field is required. */
  public Tenant anonymous() {
    return anonymous;
  }

  /** Returns the longest value accepted, in octets. */
  public int maxOctets() {
    return maxOctets;
  }

  /**
   * Returns the tenant named by one field value (or by all of the field's lines combined with
   * commas, as RFC 9110 section 5.3 allows a server to give them).
   *
   * @param fieldValue the value as the server gives it, or null if the request has no such field
   * @throws MalformedHeaderException if the value breaks a rule of the table above
   */
  public Tenant resolve(String fieldValue) throws MalformedHeaderException {
    if (fieldValue == null) {
      if (anonymous == null) {
        throw new MalformedHeaderException(name, "missing");
      }
      return anonymous;
    }
    int start = 0;
    int end = fieldValue.length();
    while (start < end && isWhitespace(fieldValue.charAt(start))) {
      start++;
    }
    while (end > start && isWhitespace(fieldValue.charAt(end - 1))) {
      end--;
    }
    if (start == end) {
      throw new MalformedHeaderException(name, "empty");
    }
    if (end - start > maxOctets) {
      throw new MalformedHeaderException(name, "longer than " + maxOctets + " octets");
    }
    boolean text = false;
    for (int i = start; i < end; i++) {
      char c = fieldValue.charAt(i);
      if (c == ',') {
        throw new MalformedHeaderException(name, "more than one value");
      } else if (c < 0x20 || c == 0x7f) {
        throw new MalformedHeaderException(name, "a control character");
      } else if (c > 0xff) {
        text = true;
      }
    }
    String value = fieldValue.substring(start, end);
    if (!text) {
      return Tenant.ofOctetString(value);
    }
    if (!isUnicodeText(value)) {
      throw new MalformedHeaderException(name, "an unpaired surrogate");
    }
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    if (utf8.length > maxOctets) {
      throw new MalformedHeaderException(name, "longer than " + maxOctets + " octets");
    }
    return Tenant.ofOctetString(new String(utf8, StandardCharsets.ISO_8859_1));
  }

  /**
   * Returns the tenant named by the field's lines, each as the server gives it (a servlet
   * request's {@code getHeaders(name)}, gRPC's {@code getAll(key)}); more than one line is
   * malformed.
   *
   * @param fieldValues the field's lines, none if the request has no such field
   * @throws MalformedHeaderException if there is more than one line or the line is malformed
   */
  public Tenant resolve(Iterable<String> fieldValues) throws MalformedHeaderException {
    Checks.notNull("fieldValues", fieldValues);
    Iterator<String> values = fieldValues.iterator();
    String first = values.hasNext() ? values.next() : null;
    if (values.hasNext()) {
      throw new MalformedHeaderException(name, "more than one value");
    }
    return resolve(first);
  }

  @Override
  public String toString() {
    return "TenantHeader[" + name + ", anonymous " + anonymous + ", " + maxOctets + " octets]";
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t';
  }

  private static boolean isUnicodeText(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Configures a {@link TenantHeader}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming it. Not thread-safe.
   */
  public static final class Builder {
    private String name = DEFAULT_NAME;
    private Tenant anonymous = Tenant.of(DEFAULT_ANONYMOUS);
    private int maxOctets = DEFAULT_MAX_OCTETS;

    private Builder() {}

    /** Sets the field name. */
    public Builder name(String name) {
      this.name = Checks.fieldName("name", name);
      return this;
    }

    /** Sets the tenant of requests without the field (Unicode text, see {@link Tenant#of}). */
    public Builder anonymous(String name) {
      this.anonymous = Tenant.of(name);
      return this;
    }

    /** Makes the field required: a request without it is malformed (no anonymous tenant). */
    public Builder required() {
      this.anonymous = null;
      return this;
    }

    /**
     * Sets the longest value accepted.
     *
     * @param octets in [1, 8192]
     */
    public Builder maxOctets(int octets) {
      this.maxOctets = Checks.inRange("maxOctets", octets, 1, 8192);
      return this;
    }

    /** Returns the tenant header. */
    public TenantHeader build() {
      return new TenantHeader(this);
    }
  }
}
