package io.sluice.examples.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.examples.http.ConnectionPool.Connection;
import io.sluice.examples.observability.Observability;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.VegasLimit;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.micrometer.SluiceMeterBinder;
import io.sluice.pool.Lease;
import io.sluice.pool.PoolGuard;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.RateLimiter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP server protected by Sluice end to end, on the JDK's {@link HttpServer} bound to the
 * loopback interface. {@code GET /query} runs one query on a {@link ConnectionPool}; under
 * overload the server answers at once {@code 503} with a {@link Refusal} (Retry-After, problem
 * details, RateLimit fields) instead of queueing, and the requests it admits keep their latency.
 *
 * <h2>One request</h2>
 * <ol>
 *   <li>The {@code HttpServer} dispatcher hands the connection to the <em>front</em> executor, a
 *       small plain thread pool that reads the request line and headers and runs the handler.
 *   <li>The handler reads {@code X-Priority} ({@link PriorityHeader}), checks the tenant's quota if
 *       one is configured ({@code X-Tenant}; a refusal is a {@code 429}), and hands the query to
 *       the {@link AdmissionExecutor} with that priority and a deadline {@code requestTimeout}
 *       from now: the time after which an answer is worth nothing. The handler returns at once;
 *       the response is written later by whoever settles the task.
 *   <li>Admitted, the query runs on a worker thread: it checks a connection out through the
 *       {@link PoolGuard}, waiting at most until the deadline minus the expected query time (here
 *       the pool's mean), queries, gives the connection back and answers {@code 200}. Nothing
 *       about an admitted response differs from an unprotected server's.
 *   <li>Refused at submission (the queue full, a higher priority's queue standing, or a deadline
 *       the executor predicts to miss), shed from the queue later (CoDel, deadline), or refused
 *       by the pool guard (no connection in time): the answer is a {@code 503} {@link Refusal}.
 *       A pool-guard refusal is rethrown from the task, so the executor's limiter counts it as a
 *       drop and lowers its limit.
 * </ol>
 *
 * <h2>One adaptive limit per path</h2>
 * The executor's limiter (Vegas, from the pool's size up to {@code maxLimit}) is the only adaptive
 * limit a query meets: it measures whole queries, pool wait included, and settles a few requests
 * above the number of connections, so that the pool always has the next query waiting. The pool
 * guard has a fixed limit of {@code maxLimit} checkouts, which the executor never reaches; what it
 * adds is the deadline on the wait for a connection. (An adaptive guard behind the adaptive
 * executor fights it: whenever the executor's limit rose above the guard's, the guard refused the
 * extra queries at once, each refusal freed a permit for the next queued query, and the queue
 * drained as a burst of instant failures.)
 *
 * <h2>Why admission is not the HttpServer's executor</h2>
 * The JDK server's dispatcher thread calls {@code executor.execute(exchange)} and, if that throws,
 * closes the connection: a {@code RejectedExecutionException} there would reach the client as a
 * reset, with no status, no Retry-After and no body. So the server's own executor is a plain pool
 * that never refuses (when its queue is full the dispatcher runs the exchange itself, which is
 * what the JDK server does with no executor at all: back-pressure, not a drop), and admission
 * happens inside the handler, where a rejection is an exception we catch and answer. Every request
 * therefore gets an HTTP answer: 200, 429 or 503.
 *
 * <h2>Mounting more handlers</h2>
 * {@link Builder#observability} mounts {@code /metrics} and {@code /health}, and
 * {@link Builder#context(String, HttpHandler)} any other handler beside {@code /query}; such
 * handlers run on the front executor, outside admission, so they answer even under overload. {@link #limiter()}, {@link #executor()} and
 * {@link #poolGuard()} expose what such a handler would report.
 *
 * <p>Thread-safe. {@link #close()} stops the server and its threads.
 */
public final class ProtectedServer implements DemoServer {
  /** The request header naming the tenant whose quota a request uses. */
  public static final String TENANT_HEADER = "X-Tenant";
  /** The {@code name} tag of the admission executor's meters. */
  public static final String EXECUTOR_METRICS_NAME = "api";
  /** The {@code name} tag of the pool guard's meters. */
  public static final String POOL_METRICS_NAME = "database";

  private final ConnectionPool pool;
  private final HttpServer server;
  private final ThreadPoolExecutor front;
  private final ThreadPoolExecutor workers;
  private final AdmissionExecutor executor;
  private final PoolGuard<Connection> poolGuard;
  private final KeyedRateLimiter<String> quotas;
  private final int quotaPerSecond;
  private final long requestTimeoutNanos;
  private final long expectedQueryNanos;
  /** Held here because meters reference the monitor weakly; null without observability. */
  private final OverloadMonitor monitor;

  private ProtectedServer(Builder b) throws IOException {
    this.pool = b.pool;
    this.requestTimeoutNanos = b.requestTimeoutNanos;
    this.expectedQueryNanos = pool.meanServiceTime().toNanos();
    this.quotaPerSecond = b.quotaPerSecond;
    this.quotas = b.quotaPerSecond == 0 ? null : RateLimiter.newBuilder()
        .rate(b.quotaPerSecond, Duration.ofSeconds(1))
        .burst(b.quotaBurst)
        .buildKeyed();
    this.front = new ThreadPoolExecutor(b.frontThreads, b.frontThreads, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(1024), DaemonThreads.named("sluice-front-"),
        new ThreadPoolExecutor.CallerRunsPolicy());
    this.workers = new ThreadPoolExecutor(b.maxLimit, b.maxLimit, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), DaemonThreads.named("sluice-worker-"));
    workers.allowCoreThreadTimeOut(true);
    Limiter limiter = b.limiter != null ? b.limiter : Limiter.newBuilder()
        .algorithm(VegasLimit.newBuilder()
            .initialLimit(pool.size()).maxLimit(b.maxLimit).build())
        .build();
    this.executor = AdmissionExecutor.newBuilder(workers)
        .limiter(limiter)
        .shedListener((task, rejection) ->
            front.execute(() -> refuse(((Query) task).exchange, rejection)))
        .build();
    this.poolGuard = PoolGuard.newBuilder(pool)
        .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(b.maxLimit)).build())
        .maxWait(Duration.ofNanos(requestTimeoutNanos))
        .build();
    this.server = LoopbackHttp.bind(b.port, b.backlog);
    server.setExecutor(front);
    server.createContext(QUERY_PATH, this::handle);
    b.contexts.forEach(server::createContext);
    if (b.registry != null) {
      this.monitor = OverloadMonitor.newBuilder(executor).build();
      SluiceMeterBinder.executor(EXECUTOR_METRICS_NAME, executor).overload(monitor)
          .bindTo(b.registry);
      SluiceMeterBinder.poolGuard(POOL_METRICS_NAME, poolGuard).bindTo(b.registry);
      Observability.mount(server, b.registry, monitor);
    } else {
      this.monitor = null;
    }
    server.start();
  }

  /** Returns a builder of a server in front of {@code pool}, with the defaults it documents. */
  public static Builder newBuilder(ConnectionPool pool) {
    return new Builder(pool);
  }

  @Override
  public URI queryUri() {
    return LoopbackHttp.uri(server, QUERY_PATH);
  }

  /** Returns the URI of {@code path} on this server (for mounted handlers). */
  public URI uri(String path) {
    return LoopbackHttp.uri(server, path);
  }

  /** Returns the address the server listens on (127.0.0.1 or ::1, and its port). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Returns the limiter of the admission executor: the server's concurrency limit. */
  public Limiter limiter() {
    return executor.limiter();
  }

  /** Returns the admission executor that runs queries. */
  public AdmissionExecutor executor() {
    return executor;
  }

  /** Returns the guard of the connection pool. */
  public PoolGuard<Connection> poolGuard() {
    return poolGuard;
  }

  /** Returns the connection pool. */
  public ConnectionPool pool() {
    return pool;
  }

  @Override
  public int limit() {
    return executor.limiter().limit();
  }

  @Override
  public int inFlight() {
    return executor.limiter().inFlight();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    workers.shutdownNow();
    front.shutdownNow();
  }

  @Override
  public String toString() {
    return "ProtectedServer[" + queryUri() + ", limit " + limit() + ", " + pool + "]";
  }

  /** Runs on a front thread: decides at once, answers refusals, hands admitted work over. */
  private void handle(HttpExchange exchange) throws IOException {
    exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
    if (quotas != null) {
      String tenant = exchange.getRequestHeaders().getFirst(TENANT_HEADER);
      tenant = tenant == null ? "anonymous" : tenant;
      long ticket = quotas.tryAcquire(tenant);
      if (Ticket.isRejection(ticket)) {
        Refusal.quotaExceeded(Ticket.retryAfterNanos(ticket), tenant, quotaPerSecond, 1)
            .send(exchange);
        return;
      }
    }
    long deadline = System.nanoTime() + requestTimeoutNanos;
    TaskOptions options = TaskOptions.of(
        PriorityHeader.parse(exchange.getRequestHeaders().getFirst(PriorityHeader.NAME)))
        .withDeadline(deadline);
    try {
      executor.execute(new Query(exchange, deadline), options);
    } catch (AdmissionRejectedException e) {
      refuse(exchange, e);
    }
  }

  private void refuse(HttpExchange exchange, AdmissionRejectedException rejection) {
    try {
      Refusal.overloaded(rejection, limit()).send(exchange);
    } catch (IOException e) {
      exchange.close(); // the client has gone; nothing to tell it
    }
  }

  /** The admitted part of a request: a checkout, a query and the 200; or a 503 if the pool refuses. */
  private final class Query implements Runnable {
    final HttpExchange exchange;
    private final long deadline;

    Query(HttpExchange exchange, long deadline) {
      this.exchange = exchange;
      this.deadline = deadline;
    }

    @Override
    public void run() {
      Lease<Connection> lease;
      try {
        lease = poolGuard.acquireBy(deadline - expectedQueryNanos);
      } catch (AdmissionRejectedException e) {
        refuse(exchange, e);
        throw e; // a drop: the executor's limit must shrink
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exchange.close();
        return;
      }
      try {
        lease.resource().query();
      } catch (InterruptedException e) {
        lease.close(Outcome.IGNORED);
        Thread.currentThread().interrupt();
        exchange.close();
        return;
      }
      lease.close();
      try {
        LoopbackHttp.answerOk(exchange);
      } catch (IOException e) {
        // The client has gone; the query itself succeeded, which is what the limiter learns.
      }
    }

    @Override
    public String toString() {
      return "Query[" + exchange.getRequestURI() + "]";
    }
  }

  /**
   * Configures and starts a {@link ProtectedServer}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range. Not
   * thread-safe.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #port}</td><td>0: an ephemeral port</td></tr>
   *   <tr><td>{@link #requestTimeout}</td><td>1 s</td></tr>
   *   <tr><td>{@link #maxLimit}</td><td>4 x the pool's connections</td></tr>
   *   <tr><td>{@link #limiter}</td><td>Vegas from the pool's size up to maxLimit</td></tr>
   *   <tr><td>{@link #frontThreads}</td><td>2</td></tr>
   *   <tr><td>{@link #backlog}</td><td>1024</td></tr>
   *   <tr><td>{@link #tenantQuota}</td><td>none</td></tr>
   * </table>
   */
  public static final class Builder {
    private PrometheusMeterRegistry registry;
    private final ConnectionPool pool;
    private final Map<String, HttpHandler> contexts = new LinkedHashMap<>();
    private int port;
    private long requestTimeoutNanos = Duration.ofSeconds(1).toNanos();
    private int maxLimit;
    private Limiter limiter;
    private int frontThreads = 2;
    private int backlog = 1024;
    private int quotaPerSecond;
    private int quotaBurst;

    private Builder(ConnectionPool pool) {
      this.pool = Checks.notNull("pool", pool);
      this.maxLimit = 4 * pool.size();
    }

    /**
     * Sets the port on the loopback interface; 0 picks a free one.
     *
     * @param port in [0, 65535]
     */
    public Builder port(int port) {
      this.port = Checks.inRange("port", port, 0, 65_535);
      return this;
    }

    /**
     * Sets how long a request may wait for admission and for a connection; after that it is
     * answered 503 ({@code QUEUE_TIMEOUT} or {@code DEADLINE}). The query itself is not cut short,
     * so an admitted request takes at most this plus the pool's longest service time.
     *
     * @param timeout in [1 ms, 1 min]
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeoutNanos = Checks.inRange("requestTimeout", timeout, Duration.ofMillis(1),
          Duration.ofMinutes(1));
      return this;
    }

    /**
     * Sets the largest concurrency limit of the default limiter, which is also the number of
     * worker threads.
     *
     * @param maxLimit in [1, 4096]
     */
    public Builder maxLimit(int maxLimit) {
      this.maxLimit = Checks.inRange("maxLimit", maxLimit, 1, 4096);
      return this;
    }

    /**
     * Replaces the default limiter of the admission executor (give the server its own limiter);
     * its largest limit should not exceed {@link #maxLimit}, the number of worker threads.
     */
    public Builder limiter(Limiter limiter) {
      this.limiter = Checks.notNull("limiter", limiter);
      return this;
    }

    /**
     * Sets the threads that parse requests and decide admission.
     *
     * @param threads in [1, 64]
     */
    public Builder frontThreads(int threads) {
      this.frontThreads = Checks.inRange("frontThreads", threads, 1, 64);
      return this;
    }

    /**
     * Sets the listen backlog of the server socket.
     *
     * @param backlog in [1, 65535]
     */
    public Builder backlog(int backlog) {
      this.backlog = Checks.inRange("backlog", backlog, 1, 65_535);
      return this;
    }

    /**
     * Gives every tenant ({@code X-Tenant}, or {@code anonymous}) a quota of {@code perSecond}
     * requests per second with bursts of {@code burst}; a request over it is answered 429 before
     * it takes any of the capacity that tenants share.
     *
     * @param perSecond in [1, 1000000]
     * @param burst in [1, 1000000]
     */
    public Builder tenantQuota(int perSecond, int burst) {
      this.quotaPerSecond = Checks.inRange("tenantQuota perSecond", perSecond, 1, 1_000_000);
      this.quotaBurst = Checks.inRange("tenantQuota burst", burst, 1, 1_000_000);
      return this;
    }

    /**
     * Mounts {@code handler} at {@code path}, beside {@code /query}; it runs on the front threads,
     * outside admission (for {@code /metrics}, {@code /health} and the like).
     *
     * @param path an absolute path other than {@value DemoServer#QUERY_PATH}, mounted once
     */
    public Builder context(String path, HttpHandler handler) {
      Checks.notNull("path", path);
      Checks.notNull("handler", handler);
      boolean observed = registry != null
          && (path.equals(Observability.METRICS_PATH) || path.equals(Observability.HEALTH_PATH));
      if (!path.startsWith("/") || path.equals(QUERY_PATH) || contexts.containsKey(path) || observed) {
        throw new IllegalArgumentException("path must be an absolute path other than "
            + QUERY_PATH + ", mounted once, but was " + path);
      }
      contexts.put(path, handler);
      return this;
    }

    /**
     * Exposes the server's metrics: binds the admission executor (with its limiter and an
     * {@link OverloadMonitor} over it, under {@code name="api"}) and the pool guard (under
     * {@code name="database"}) to {@code registry}, and mounts {@code /metrics} (the registry's
     * Prometheus text) and {@code /health} (the overload signal: 200 while OK or DEGRADED, 503
     * when OVERLOADED).
     */
    public Builder observability(PrometheusMeterRegistry registry) {
      this.registry = Checks.notNull("registry", registry);
      if (contexts.containsKey(Observability.METRICS_PATH)
          || contexts.containsKey(Observability.HEALTH_PATH)) {
        throw new IllegalArgumentException("observability mounts " + Observability.METRICS_PATH
            + " and " + Observability.HEALTH_PATH + ", which are already mounted");
      }
      return this;
    }

    /**
     * Binds the server to the loopback interface and starts it.
     *
     * @throws IOException if the port cannot be bound
     */
    public ProtectedServer start() throws IOException {
      return new ProtectedServer(this);
    }
  }
}
