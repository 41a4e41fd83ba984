package io.sluice.grpc;

import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A server and a channel to it: in-process, or over Netty on 127.0.0.1 with an ephemeral port.
 * Closing it shuts both down and waits (boundedly) for them to terminate.
 */
final class Harness implements AutoCloseable {
  private static final AtomicInteger NAMES = new AtomicInteger();

  final Server server;
  final ManagedChannel channel;
  private final ExecutorService executor;

  private Harness(Server server, ManagedChannel channel, ExecutorService executor) {
    this.server = server;
    this.channel = channel;
    this.executor = executor;
  }

  /** Returns an in-process server of {@code services}, its handlers run on gRPC's threads. */
  static Harness inProcess(List<ServerServiceDefinition> services) {
    String name = "sluice-grpc-test-" + NAMES.incrementAndGet();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name).directExecutor();
    services.forEach(builder::addService);
    return new Harness(start(builder.build()),
        InProcessChannelBuilder.forName(name).directExecutor().build(), null);
  }

  /** Returns a Netty server on 127.0.0.1, its handlers on a pool of four threads. */
  static Harness netty(List<ServerServiceDefinition> services) {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    NettyServerBuilder builder = NettyServerBuilder
        .forAddress(new InetSocketAddress("127.0.0.1", 0)).executor(executor);
    services.forEach(builder::addService);
    Server server = start(builder.build());
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .usePlaintext().build();
    return new Harness(server, channel, executor);
  }

  /** Returns the channel with {@code interceptors} in front. */
  io.grpc.Channel channel(ClientInterceptor... interceptors) {
    return ClientInterceptors.intercept(channel, interceptors);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      channel.awaitTermination(10, TimeUnit.SECONDS);
      server.awaitTermination(10, TimeUnit.SECONDS);
      if (executor != null) {
        executor.shutdownNow();
        executor.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Server start(Server server) {
    try {
      return server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
