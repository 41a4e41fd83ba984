package io.sluice.grpc;

import io.grpc.Metadata;

/**
 * Reads the {@code grpc-retry-pushback-ms} trailer as gRPC's retry design (proposal A6) defines
 * it: a non-negative decimal integer of milliseconds says when to retry; any other value says not
 * to retry at all. Stateless.
 */
final class Pushback {
  /** The trailer is absent: the server said nothing about when to retry. */
  static final long ABSENT = -1L;
  /** The trailer is present but not a non-negative integer: the server says do not retry. */
  static final long INVALID = -2L;

  private static final long NANOS_PER_MILLI = 1_000_000L;

  private Pushback() {}

  /** Returns the pushback of {@code trailers} in nanoseconds, or {@link #ABSENT}, or {@link #INVALID}. */
  static long nanos(Metadata trailers) {
    String value = trailers.get(GrpcRefusals.RETRY_PUSHBACK_MS);
    if (value == null) {
      return ABSENT;
    }
    int n = value.length();
    if (n == 0 || n > 10) {
      return INVALID; // more than ten digits cannot be a 32-bit integer
    }
    long millis = 0;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return INVALID; // a sign, a space, a fraction: not the integer A6 asks for
      }
      millis = millis * 10 + (c - '0');
    }
    return millis > Integer.MAX_VALUE ? INVALID : millis * NANOS_PER_MILLI;
  }
}
