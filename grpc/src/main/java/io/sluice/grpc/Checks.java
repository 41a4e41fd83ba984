package io.sluice.grpc;

/**
 * Argument checks in the style of the library's builders: a failure is an
 * {@link IllegalArgumentException} naming the parameter, the value given and what is allowed.
 * (Core's helper lives in a package it does not export, so this module keeps its own.)
 */
final class Checks {
  private Checks() {}

  static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }
}
