package io.sluice.examples.http;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * What both demo servers do the same way: a Jetty server on the loopback interface, its thread
 * pool, and the plain answers (200, and the error statuses the routes give).
 */
final class LoopbackHttp {
  /** The connector's own threads, beside the request threads: one acceptor, one selector. */
  static final int CONNECTOR_THREADS = 2;

  private static final byte[] OK_BODY = "{\"rows\":1}".getBytes(StandardCharsets.UTF_8);

  private LoopbackHttp() {}

  /**
   * Creates a stopped Jetty server whose pool has {@code requestThreads} threads for handlers
   * beside the connector's acceptor and selector. The pool is fixed (no reserved threads), its
   * threads are daemons named {@code name-N}, and its job queue is unbounded, as Jetty's is by
   * default.
   */
  static Server server(String name, int requestThreads) {
    int threads = requestThreads + CONNECTOR_THREADS;
    QueuedThreadPool pool = new QueuedThreadPool(threads, threads, 60_000, 0, null, null);
    pool.setName(name);
    pool.setDaemon(true);
    Server server = new Server(pool);
    server.setStopTimeout(0); // close() stops at once, as the DemoServer contract says
    return server;
  }

  /**
   * Returns the HTTP/1.1 configuration of both servers: no {@code Server} header, and the given
   * bound on the request line and header fields together (Jetty answers 414 when the request line
   * alone exceeds it, 431 when the header fields do). Handlers run as soon as the header fields
   * are read, without waiting for any body (Jetty 12.1's default).
   */
  static HttpConfiguration configuration(int maxHeaderBytes) {
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    config.setRequestHeaderSize(maxHeaderBytes);
    return config;
  }

  /** Binds {@code connector} to the loopback interface with the given port and backlog. */
  static ServerConnector bind(ServerConnector connector, int port, int backlog) {
    connector.setHost(InetAddress.getLoopbackAddress().getHostAddress());
    connector.setPort(port);
    connector.setAcceptQueueSize(backlog);
    return connector;
  }

  /** Returns a plain connector of {@code server} with one acceptor and one selector. */
  static ServerConnector plainConnector(Server server, HttpConfiguration config) {
    return new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
  }

  /** Returns the URI of {@code path} on a started {@code connector}. */
  static URI uri(ServerConnector connector, String path) {
    String host = connector.getHost();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
        + connector.getLocalPort() + path);
  }

  /** Starts {@code server}; a failure to bind is an IOException, anything else unchecked. */
  static void start(Server server) throws IOException {
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      stop(server);
      throw e;
    } catch (Exception e) {
      stop(server);
      throw new IllegalStateException("the server did not start", e);
    }
  }

  /** Stops {@code server} at once; a failure to stop is reported as unchecked. */
  static void stop(Server server) {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("the server did not stop cleanly", e);
    }
  }

  /** Answers 200 with a small JSON body. */
  static void answerOk(Response response, Callback callback) {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, OK_BODY.length);
    response.write(true, ByteBuffer.wrap(OK_BODY), callback);
  }

  /** Answers {@code status} with a one-line plain-text body. */
  static void answerPlain(Response response, Callback callback, int status, String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
