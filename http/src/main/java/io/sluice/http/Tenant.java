package io.sluice.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Who a request is for, as the octets that name it: the key of its quota and the partition key
 * ({@code pk}) of the RateLimit fields. Two tenants are equal when their octets are.
 *
 * <h2>Encoded once</h2>
 * A header field value is a sequence of octets. Servers (Jetty, Tomcat, Undertow, the JDK's) hand
 * it over as a string of one character per octet (ISO-8859-1), so a name a client sends in UTF-8
 * arrives as several characters per non-ASCII letter. {@link TenantHeader} keeps those octets as
 * they are; encoding that string again as UTF-8 (what a {@code getBytes(UTF_8)} would do) encodes
 * it twice, and the partition key no longer matches what the client sent. A tenant named in code
 * ({@link #of}) is Unicode text and becomes its UTF-8 octets, so {@code Tenant.of("Zoë")} equals
 * the tenant of a request whose field carries {@code Zoë} in UTF-8.
 *
 * <p>Immutable and thread-safe.
 */
public final class Tenant {
  /** The octets, one character each (ISO-8859-1): a string that equals and hashes as they do. */
  private final String octets;

  private Tenant(String octets) {
    this.octets = octets;
  }

  /**
   * Returns the tenant named by Unicode text (from a token's claim, a configuration): its octets
   * are the UTF-8 encoding of {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} is null or empty
   */
  public static Tenant of(String name) {
    Checks.notNull("name", name);
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name must not be empty");
    }
    return new Tenant(new String(name.getBytes(StandardCharsets.UTF_8),
        StandardCharsets.ISO_8859_1));
  }

  /** Returns the tenant of these octets (one character per octet, all below U+0100). */
  static Tenant ofOctetString(String octets) {
    return new Tenant(octets);
  }

  /**
   * Returns the octets as a string of one character each (ISO-8859-1): the form a server gives a
   * header field value in, and a map key that is equal exactly when the octets are.
   */
  public String key() {
    return octets;
  }

  /** Returns a copy of the octets. */
  public byte[] octets() {
    return octets.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Returns the partition key of the RateLimit fields: the octets as a Structured Field Byte
   * Sequence (base64 between colons), {@code :Wm/Dqw==:} for {@code Zoë} sent in UTF-8.
   */
  public String partitionKey() {
    return StructuredFields.byteSequence(octets());
  }

  /**
   * Returns the name as text for people (logs, dashboards): the octets read as UTF-8 if they are
   * valid UTF-8, otherwise one character per octet.
   */
  public String displayName() {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(octets()))
          .toString();
    } catch (CharacterCodingException e) {
      return octets;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tenant && ((Tenant) o).octets.equals(octets);
  }

  @Override
  public int hashCode() {
    return octets.hashCode();
  }

  /** Returns the {@link #displayName()}. */
  @Override
  public String toString() {
    return displayName();
  }
}
