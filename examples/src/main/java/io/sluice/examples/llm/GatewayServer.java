package io.sluice.examples.llm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The embedded Jetty server a gateway runs on: bound to 127.0.0.1, a fixed pool of daemon
 * threads (so a demo's JVM exits when main ends, even with a gateway left open), one connector,
 * and a non-blocking handler that takes work to a pool thread itself. Thread-safe.
 */
final class GatewayServer implements AutoCloseable {
  /** What the server runs for each request, on the selector: it must not block. */
  interface NonBlockingHandler {
    /** Handles a request; returns true if it will complete {@code callback}. */
    boolean handle(Request request, Response response, Callback callback);
  }

  private final Server server;
  private final ServerConnector connector;

  /** Starts a server on {@code port} (0: an ephemeral one) with {@code frontThreads} workers. */
  GatewayServer(int frontThreads, int port, NonBlockingHandler handler) throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(frontThreads + 2, frontThreads + 2,
        60_000, 0, null, null);
    threads.setName("llm-gateway");
    threads.setDaemon(true);
    this.server = new Server(threads, new ScheduledExecutorScheduler("llm-gateway-timer", true),
        null);
    server.setStopTimeout(0);
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
    connector.setHost(InetAddress.getLoopbackAddress().getHostAddress());
    connector.setPort(port);
    connector.setAcceptQueueSize(4096);
    connector.setIdleTimeout(Duration.ofSeconds(30).toMillis());
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        return handler.handle(request, response, callback);
      }
    });
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    } catch (Exception e) {
      close();
      throw new IllegalStateException("the gateway did not start", e);
    }
  }

  /** Returns the URI of {@code path} on this server. */
  URI uri(String path) {
    return URI.create("http://" + connector.getHost() + ":" + connector.getLocalPort() + path);
  }

  /** Stops the server at once; requests in progress are cut. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("the gateway did not stop cleanly", e);
    }
  }
}
