package io.sluice.examples.http;

import io.sluice.examples.http.ConnectionPool.Connection;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The baseline of the overload demo: the same endpoint and {@link ConnectionPool} as
 * {@link ProtectedServer}, on the same embedded Jetty server, served the way many servers are
 * configured out of the box. A fixed pool of request threads (200, the default of Jetty's and
 * Tomcat's pools) with an unbounded queue in front, a handler that blocks its thread, and the
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

  private final ConnectionPool pool;
  private final long poolTimeoutNanos;
  private final int threadCount;
  private final Server server;
  private final ServerConnector connector;
  private final QueuedThreadPool threads;

  private UnprotectedServer(ConnectionPool pool, int threadCount, long poolTimeoutNanos)
      throws IOException {
    this.pool = pool;
    this.poolTimeoutNanos = poolTimeoutNanos;
    this.threadCount = threadCount;
    this.server = LoopbackHttp.server("plain-worker", threadCount);
    this.threads = (QueuedThreadPool) server.getThreadPool();
    this.connector = LoopbackHttp.bind(
        LoopbackHttp.plainConnector(server, LoopbackHttp.configuration(8 * 1024)), 0, 1024);
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract() { // blocking: Jetty runs it on a pool thread
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        serve(response, callback);
        return true;
      }
    });
    LoopbackHttp.start(server);
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
    return LoopbackHttp.uri(connector, QUERY_PATH);
  }

  /** Returns -1: this server has no concurrency limit. */
  @Override
  public int limit() {
    return -1;
  }

  /** Returns the requests running on a request thread plus those queued for one. */
  @Override
  public int inFlight() {
    return Math.max(0, threads.getBusyThreads() - LoopbackHttp.CONNECTOR_THREADS)
        + threads.getQueueSize();
  }

  @Override
  public void close() {
    LoopbackHttp.stop(server);
  }

  @Override
  public String toString() {
    return "UnprotectedServer[" + queryUri() + ", " + threadCount + " threads, " + pool + "]";
  }

  /** Runs on a request thread and blocks it: for a connection, then for the query. */
  private void serve(Response response, Callback callback) {
    try {
      Connection connection = pool.borrow(poolTimeoutNanos);
      if (connection == null) {
        LoopbackHttp.answerPlain(response, callback, 503,
            "no database connection available in time");
        return;
      }
      try {
        connection.query();
      } finally {
        pool.giveBack(connection);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      callback.failed(e);
      return;
    }
    LoopbackHttp.answerOk(response, callback);
  }
}
