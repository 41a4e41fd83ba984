/**
 * Sluice for gRPC: a server interceptor that admits calls through a {@link io.sluice.Limiter} and
 * refuses the rest with {@code UNAVAILABLE} or {@code RESOURCE_EXHAUSTED} and a retry pushback, and
 * a client interceptor that honours that pushback under a retry budget and an adaptive throttle.
 *
 * <p>grpc-java is the application's: this module reads it ({@code io.grpc}, the automatic module
 * of {@code grpc-api}) and never brings a copy of its own.
 */
module io.sluice.grpc {
  requires transitive io.sluice;
  requires transitive io.sluice.http;
  requires transitive io.grpc;

  exports io.sluice.grpc;
}
