package io.sluice.examples.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.examples.http.ConnectionPool.Connection;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of the overload demo: the same endpoint and {@link ConnectionPool} as
 * {@link ProtectedServer}, served the way many servers are configured out of the box. A fixed
 * pool of request threads (200, Tomcat's default) with an unbounded queue in front, and the
 * connection pool's own blocking timeout (1 s by default; HikariCP's default is 30 s, shortened so
 * that the demo ends). No limiter: every request is accepted and waits its turn, first in the
 * thread pool's queue, then for a connection.
 *
 * <p>A request that gets no connection within the pool timeout is answered {@code 503} with a
 * plain-text body and no Retry-After, as an exhausted pool usually surfaces.
 *
 * <p>Thread-safe. {@link #close()} stops the server and its threads.
 */
public final class UnprotectedServer implements DemoServer {
  /** The request threads of the default configuration. */
  public static final int DEFAULT_THREADS = 200;
  /** The connection pool's blocking timeout of the default configuration. */
  public static final Duration DEFAULT_POOL_TIMEOUT = Duration.ofSeconds(1);

  private static final byte[] TIMEOUT_BODY =
      "no database connection available in time".getBytes(StandardCharsets.UTF_8);

  private final ConnectionPool pool;
  private final long poolTimeoutNanos;
  private final ThreadPoolExecutor threads;
  private final HttpServer server;

  private UnprotectedServer(ConnectionPool pool, int threadCount, long poolTimeoutNanos)
      throws IOException {
    this.pool = pool;
    this.poolTimeoutNanos = poolTimeoutNanos;
    this.threads = new ThreadPoolExecutor(threadCount, threadCount, 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), DaemonThreads.named("plain-worker-"));
    this.server = LoopbackHttp.bind(0, 1024);
    server.setExecutor(threads);
    server.createContext(QUERY_PATH, this::handle);
    server.start();
  }

  /**
   * Starts a server on an ephemeral loopback port with {@code threadCount} request threads and the
   * given pool timeout.
   *
   * @param threadCount in [1, 4096]
   * @param poolTimeout in [1 ms, 1 min]
   * @throws IOException if no port can be bound
   */
  public static UnprotectedServer start(ConnectionPool pool, int threadCount, Duration poolTimeout)
      throws IOException {
    Checks.notNull("pool", pool);
    Checks.inRange("threadCount", threadCount, 1, 4096);
    long timeout = Checks.inRange("poolTimeout", poolTimeout, Duration.ofMillis(1),
        Duration.ofMinutes(1));
    return new UnprotectedServer(pool, threadCount, timeout);
  }

  @Override
  public URI queryUri() {
    return LoopbackHttp.uri(server, QUERY_PATH);
  }

  /** Returns -1: this server has no concurrency limit. */
  @Override
  public int limit() {
    return -1;
  }

  /** Returns the requests running on a thread plus those queued for one. */
  @Override
  public int inFlight() {
    return threads.getActiveCount() + threads.getQueue().size();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return "UnprotectedServer[" + queryUri() + ", " + threads.getMaximumPoolSize() + " threads, "
        + pool + "]";
  }

  private void handle(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
    try {
      Connection connection = pool.borrow(poolTimeoutNanos);
      if (connection == null) {
        try (exchange) {
          exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
          exchange.sendResponseHeaders(503, TIMEOUT_BODY.length);
          exchange.getResponseBody().write(TIMEOUT_BODY);
        }
        return;
      }
      try {
        connection.query();
      } finally {
        pool.giveBack(connection);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exchange.close();
      return;
    }
    LoopbackHttp.answerOk(exchange);
  }
}
