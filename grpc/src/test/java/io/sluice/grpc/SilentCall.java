package io.sluice.grpc;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;

/** A server call that goes nowhere: what an interceptor sees of a call, without a transport. */
final class SilentCall extends ServerCall<String, String> {
  private final MethodDescriptor<String, String> method;

  /** A call of {@code method}. */
  SilentCall(MethodDescriptor<String, String> method) {
    this.method = method;
  }

  /** A unary call of {@link Echo#SAY}. */
  SilentCall() {
    this(Echo.SAY);
  }

  @Override
  public void request(int numMessages) {}

  @Override
  public void sendHeaders(Metadata headers) {}

  @Override
  public void sendMessage(String message) {}

  @Override
  public void close(Status status, Metadata trailers) {}

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public Attributes getAttributes() {
    return Attributes.EMPTY;
  }

  @Override
  public MethodDescriptor<String, String> getMethodDescriptor() {
    return method;
  }
}
