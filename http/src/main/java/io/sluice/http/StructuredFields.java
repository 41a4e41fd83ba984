package io.sluice.http;

import java.util.Base64;

/**
 * Serializes the bare items of Structured Field Values (RFC 9651, section 4.1) that Sluice's
 * response fields use: Strings (policy names), Integers (quotas, seconds), Byte Sequences
 * (partition keys) and Display Strings (text that may hold any Unicode).
 *
 * <p>Each value is encoded exactly once, from what it is, never from an encoded form: a Byte
 * Sequence from octets, a Display String from Unicode text (UTF-8, then percent-encoded). A value
 * that the item cannot carry (a String with a non-ASCII or control character, an Integer of more
 * than 15 digits, text with an unpaired surrogate) fails with an {@link IllegalArgumentException},
 * as section 4.1 says serialization must fail, rather than being escaped into something else.
 *
 * <p>Stateless; every method is safe from any thread.
 */
public final class StructuredFields {
  /** The largest magnitude of an Integer: 15 decimal digits (RFC 9651, section 3.3.1). */
  public static final long MAX_INTEGER = 999_999_999_999_999L;

  private static final char[] LOWER_HEX = "0123456789abcdef".toCharArray();

  private StructuredFields() {}

  /**
   * Returns {@code value} as a String item: in double quotes, with {@code "} and {@code \} escaped
   * by a backslash (RFC 9651, section 4.1.6).
   *
   * @throws IllegalArgumentException if {@code value} is null or holds a character outside
   *     printable ASCII ({@code %x20-7E}); use {@link #displayString} for other text
   */
  public static String string(String value) {
    Checks.notNull("value", value);
    return appendString(new StringBuilder(value.length() + 8), value).toString();
  }

  /** Returns whether {@code value} can be a String item: printable ASCII only (null: false). */
  public static boolean isString(String value) {
    if (value == null) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns {@code value} as an Integer item (RFC 9651, section 4.1.4).
   *
   * @param value in {@code [-MAX_INTEGER, MAX_INTEGER]}
   */
  public static String integer(long value) {
    Checks.inRange("value", value, -MAX_INTEGER, MAX_INTEGER);
    return Long.toString(value);
  }

  /**
   * Returns {@code octets} as a Byte Sequence item: standard base64 with padding between colons
   * (RFC 9651, section 4.1.8).
   */
  public static String byteSequence(byte[] octets) {
    Checks.notNull("octets", octets);
    return ':' + Base64.getEncoder().encodeToString(octets) + ':';
  }

  /**
   * Returns {@code text} as a Display String item (RFC 9651, section 4.1.11): {@code %"}, then
   * the UTF-8 encoding of the text with every octet that is {@code %}, {@code "}, a control
   * character or not ASCII written as {@code %} and two lowercase hex digits, then {@code "}.
   * {@code "Zoë 50%"} becomes {@code %"Zo%c3%ab 50%25"}.
   *
   * @throws IllegalArgumentException if {@code text} is null or has an unpaired surrogate (it is
   *     then no sequence of Unicode code points)
   */
  public static String displayString(String text) {
    Checks.notNull("text", text);
    StringBuilder out = new StringBuilder(text.length() + 8).append("%\"");
    for (int i = 0; i < text.length(); i++) {
      int c = text.charAt(i);
      if (Character.isSurrogate((char) c)) {
        if (!Character.isHighSurrogate((char) c) || i + 1 == text.length()
            || !Character.isLowSurrogate(text.charAt(i + 1))) {
          throw new IllegalArgumentException(
              "text must be Unicode text but has an unpaired surrogate at index " + i);
        }
        c = Character.toCodePoint((char) c, text.charAt(++i));
      }
      appendUtf8PercentEncoded(out, c);
    }
    return out.append('"').toString();
  }

  /** Appends {@code value} as a String item; fails if it is not printable ASCII. */
  static StringBuilder appendString(StringBuilder out, String value) {
    if (!isString(value)) {
      throw new IllegalArgumentException(
          "a String item holds printable ASCII (%x20-7E) only but was " + value);
    }
    out.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"');
  }

  /** Appends the UTF-8 octets of one code point, percent-encoding those section 4.1.11 names. */
  private static void appendUtf8PercentEncoded(StringBuilder out, int codePoint) {
    if (codePoint < 0x80) {
      appendOctet(out, codePoint);
    } else if (codePoint < 0x800) {
      appendOctet(out, 0xc0 | codePoint >> 6);
      appendOctet(out, 0x80 | codePoint & 0x3f);
    } else if (codePoint < 0x10000) {
      appendOctet(out, 0xe0 | codePoint >> 12);
      appendOctet(out, 0x80 | codePoint >> 6 & 0x3f);
      appendOctet(out, 0x80 | codePoint & 0x3f);
    } else {
      appendOctet(out, 0xf0 | codePoint >> 18);
      appendOctet(out, 0x80 | codePoint >> 12 & 0x3f);
      appendOctet(out, 0x80 | codePoint >> 6 & 0x3f);
      appendOctet(out, 0x80 | codePoint & 0x3f);
    }
  }

  private static void appendOctet(StringBuilder out, int octet) {
    if (octet == '%' || octet == '"' || octet < 0x20 || octet > 0x7e) {
      out.append('%').append(LOWER_HEX[octet >> 4]).append(LOWER_HEX[octet & 0xf]);
    } else {
      out.append((char) octet);
    }
  }
}
