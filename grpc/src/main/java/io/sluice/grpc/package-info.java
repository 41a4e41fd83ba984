/**
 * Sluice for gRPC (grpc-java), on both ends of a call.
 *
 * <ul>
 *   <li>{@link io.sluice.grpc.AdmissionServerInterceptor}: a {@code ServerInterceptor} that admits
 *       calls through per-method {@link io.sluice.Limiter}s, holds a streaming call's permit until
 *       the call ends, and refuses the rest before their handler runs with
 *       {@link io.sluice.grpc.GrpcRefusals}: {@code UNAVAILABLE} or {@code RESOURCE_EXHAUSTED} and
 *       a {@code grpc-retry-pushback-ms} trailer. Priorities come from metadata, believed only
 *       from callers a {@link io.sluice.grpc.CallerTrust} trusts.
 *   <li>{@link io.sluice.grpc.RetryClientInterceptor}: a {@code ClientInterceptor} that retries
 *       refused calls no sooner than the server's pushback, within the retry budget of an
 *       {@link io.sluice.client.RetryPolicy}, and refuses calls locally, failing fast, while its
 *       {@link io.sluice.client.AdaptiveThrottle} says the server has been refusing.
 * </ul>
 *
 * <p>Every public type is immutable and thread-safe once built; builders are not thread-safe.
 */
package io.sluice.grpc;
