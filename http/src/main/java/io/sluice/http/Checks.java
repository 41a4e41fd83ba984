package io.sluice.http;

/**
 * Argument checks in the style of the library's builders: a failure is an
 * {@link IllegalArgumentException} naming the parameter, the value given and what is allowed.
 * (Core's helper lives in a package it does not export, so this module keeps its own.)
 */
final class Checks {
  private Checks() {}

  static int inRange(String name, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  static long inRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "] but was " + value);
    }
    return value;
  }

  /** Returns {@code value} if it is a header field name: a token of RFC 9110, section 5.6.2. */
  static String fieldName(String name, String value) {
    notNull(name, value);
    boolean token = !value.isEmpty();
    for (int i = 0; i < value.length() && token; i++) {
      char c = value.charAt(i);
      token = c < 0x7f && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
    }
    if (!token) {
      throw new IllegalArgumentException(
          name + " must be a field name (a token of RFC 9110) but was " + value);
    }
    return value;
  }

  static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
