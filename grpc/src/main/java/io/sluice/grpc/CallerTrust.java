package io.sluice.grpc;

import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.sluice.http.TrustedSources;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Whether to believe what a caller says about its own priority: {@link AdmissionServerInterceptor}
 * honours a priority that raises a call above the default only from a caller this policy trusts.
 *
 * <p>Trust comes from what the server established, never from what the client wrote: the peer's
 * address ({@link #remoteAddresses}), or the identity an authentication interceptor that ran
 * before Sluice's put in the call's {@link Context} ({@link #contextKey}); or write your own, for
 * example over the TLS session ({@link Grpc#TRANSPORT_ATTR_SSL_SESSION}) of a mutual-TLS peer.
 *
 * <p>It is consulted only for calls that carry the priority metadata, on the thread that starts
 * the call, with the call's context current. An implementation must be thread-safe; one that
 * throws is taken as not trusting.
 */
@FunctionalInterface
public interface CallerTrust {

  /** Returns whether to believe the priority metadata of {@code call}. */
  boolean trusts(ServerCall<?, ?> call, Metadata headers);

  /** Returns the policy that trusts nobody: callers may only lower their priority. */
  static CallerTrust none() {
    return (call, headers) -> false;
  }

  /**
   * Returns the policy that trusts every caller: for a server that only a gateway can reach and
   * that sets or removes the metadata itself.
   */
  static CallerTrust everyone() {
    return (call, headers) -> true;
  }

  /**
   * Returns the policy that trusts peers whose transport address ({@link
   * Grpc#TRANSPORT_ATTR_REMOTE_ADDR}) is in {@code sources}: the address of the connection, never a
   * forwarded one. A peer without an IP address (in-process, Unix domain socket) is not trusted.
   */
  static CallerTrust remoteAddresses(TrustedSources sources) {
    Checks.notNull("sources", sources);
    return (call, headers) -> {
      SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      return peer instanceof InetSocketAddress
          && sources.contains(((InetSocketAddress) peer).getAddress());
    };
  }

  /**
   * Returns the policy that trusts a call whose {@link Context} holds a value for {@code key}:
   * the caller an authentication interceptor vouched for. That interceptor must run before
   * Sluice's (gRPC calls the interceptor added last first) and attach its context to the call
   * ({@link io.grpc.Contexts#interceptCall}).
   */
  static CallerTrust contextKey(Context.Key<?> key) {
    Checks.notNull("key", key);
    return (call, headers) -> key.get() != null;
  }
}
