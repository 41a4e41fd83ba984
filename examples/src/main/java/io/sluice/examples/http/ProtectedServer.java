package io.sluice.examples.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.Limiter;
import io.sluice.examples.http.ConnectionPool.Connection;
import io.sluice.examples.observability.HealthHandler;
import io.sluice.examples.observability.Observability;
import io.sluice.examples.observability.PrometheusMetricsHandler;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.VegasLimit;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.OverloadStatus;
import io.sluice.micrometer.SluiceMeterBinder;
import io.sluice.pool.PoolGuard;
import io.sluice.rate.KeyedRateLimiter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.Callback;

/**
 * An HTTP server protected by Sluice end to end, on an embedded Jetty server bound to the loopback
 * interface. {@code GET /query} runs one query on a {@link ConnectionPool}; under overload the
 * server answers at once {@code 503} with an {@link io.sluice.http.HttpRefusal} (Retry-After,
 * problem details, RateLimit fields) instead of queueing, and the requests it admits keep their
 * latency.
 *
 * <h2>One request</h2>
 * <ol>
 *   <li>Jetty reads the request head without holding a thread (a slow client costs a connection,
 *       not a thread), checks its size, and hands the complete head to a <em>front</em> thread,
 *       one of a small fixed pool that runs the handlers.
 *   <li>The router ({@code Routes}) takes only {@code GET} and {@code HEAD} on exactly
 *       {@code /query}. The handler reads {@code X-Priority} ({@link PriorityHeader}: believed only
 *       from {@link Builder#trustedSources}, though anyone may lower its own), checks the
 *       tenant's quota if one is configured ({@code X-Tenant}, a {@link TenantHeader}; a refusal
 *       is a {@code 429}, a malformed field a {@code 400}), and
 *       hands the query to the {@link AdmissionExecutor} with that priority and a deadline
 *       {@code requestTimeout} from now: the time after which an answer is worth nothing. The
 *       handler returns at once; the response is written later, without blocking, by whoever
 *       settles the task. The request body is never read.
 *   <li>Admitted, the query runs on a worker thread: it checks a connection out through the
 *       {@link PoolGuard}, waiting at most until the deadline minus the expected query time (here
 *       the pool's mean), queries, gives the connection back and answers {@code 200}. Nothing
 *       about an admitted response differs from an unprotected server's.
 *   <li>Refused at submission (the queue full, a higher priority's queue standing, or a deadline
 *       the executor predicts to miss), shed from the queue later (CoDel, deadline), or refused
 *       by the pool guard (no connection in time): the answer is a {@code 503}
 *       {@link io.sluice.http.HttpRefusal}.
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
 * <h2>What a client may send</h2>
 * Every request gets an HTTP answer, including those the server will not serve:
 * <table>
 *   <caption>Limits and their answers</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>head not complete within {@link Builder#requestHeadTimeout} of its first
 *       byte</td><td>408, connection closed</td></tr>
 *   <tr><td>request line longer than {@link Builder#maxHeaderBytes}</td><td>414</td></tr>
 *   <tr><td>request line and header fields over {@link Builder#maxHeaderBytes}, or more than
 *       {@link Builder#maxHeaderFields} fields</td><td>431</td></tr>
 *   <tr><td>a declared body over {@link Builder#maxBodyBytes}</td><td>413</td></tr>
 *   <tr><td>a path that is not exactly a mounted one</td><td>404</td></tr>
 *   <tr><td>a method other than GET or HEAD on {@code /query}, {@code /metrics},
 *       {@code /health}</td><td>405 with {@code Allow: GET, HEAD}</td></tr>
 * </table>
 * An idle keep-alive connection is closed after {@link Builder#idleTimeout}, however many there
 * are; none is closed earlier to make room for others. A body is never read, so a slow or huge
 * one holds no thread; if it is still arriving when the answer is written, the connection is
 * closed after the answer.
 *
 * <h2>Why Jetty and not the JDK's HttpServer</h2>
 * The JDK server reads each request head and body with blocking reads on its executor's threads,
 * so a few slow clients hold every thread; its limits ({@code sun.net.httpserver.maxReqTime},
 * {@code maxReqHeaders}, {@code maxReqHeaderSize}, {@code maxIdleConnections}) are system
 * properties read once per JVM, for every server in it; it closes the connection without an
 * answer when a head is too large or too slow, so it cannot send 408, 414 or 431; and beyond
 * {@code maxIdleConnections} (200) idle connections it closes the others as they go idle, so a
 * client's next request on one meets a closed socket. Jetty parses without holding threads,
 * answers 414 and 431 itself, keeps any number of idle connections until their idle timeout, and
 * takes every limit per server.
 *
 * <h2>Mounting more handlers</h2>
 * {@link Builder#observability} mounts {@code /metrics} and {@code /health}, and
 * {@link Builder#context(String, Request.Handler)} any other Jetty handler beside {@code /query};
 * such handlers run on the front threads, outside admission, so they answer even under overload.
 * {@link #limiter()}, {@link #executor()} and {@link #poolGuard()} expose what such a handler
 * would report.
 *
 * <p>Thread-safe. {@link #close()} stops the server and its threads.
 */
public final class ProtectedServer implements DemoServer {
  /** The request header naming the tenant whose quota a request uses. */
  public static final String TENANT_HEADER = TenantHeader.DEFAULT_NAME;
  /** The {@code name} tag of the admission executor's meters. */
  public static final String EXECUTOR_METRICS_NAME = "api";
  /** The {@code name} tag of the pool guard's meters. */
  public static final String POOL_METRICS_NAME = "database";

  private final ConnectionPool pool;
  private final Server server;
  private final ServerConnector connector;
  private final ThreadPoolExecutor workers;
  private final AdmissionExecutor executor;
  private final PoolGuard<Connection> poolGuard;
  /** Held here because meters reference the monitor weakly; null without observability. */
  private final OverloadMonitor monitor;

  private ProtectedServer(Builder b) throws IOException {
    this.pool = b.pool;
    KeyedRateLimiter<Tenant> quotas = b.quotaPerSecond == 0 ? null
        : KeyedRateLimiter.newBuilder()
            .rate(b.quotaPerSecond, Duration.ofSeconds(1))
            .burst(b.quotaBurst)
            .build();
    HttpRefusals.Builder refusals = HttpRefusals.newBuilder();
    if (quotas != null) {
      refusals.quotaPolicy("tenant", b.quotaPerSecond, Duration.ofSeconds(1));
    }
    // A query refused by the pool guard is answered 503 and then rethrown, so that the executor's
    // FailureClassifier reads the refusal; the executor hands what an execute() task throws to the
    // thread's handler, which must not print a refusal that was already answered.
    this.workers = new ThreadPoolExecutor(b.maxLimit, b.maxLimit, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), DaemonThreads.named("sluice-worker-",
            DaemonThreads.ANSWERED_REFUSALS_ARE_SILENT));
    workers.allowCoreThreadTimeOut(true);
    Limiter limiter = b.limiter != null ? b.limiter : Limiter.newBuilder()
        .algorithm(VegasLimit.newBuilder()
            .initialLimit(pool.size()).maxLimit(b.maxLimit))
        .build();
    // Writing a response never blocks (Jetty completes it asynchronously), so a shed task is
    // answered on whichever thread sheds it.
    this.executor = AdmissionExecutor.newBuilder(workers)
        .limiter(limiter)
        .shedListener(QueryRoute::shed)
        .build();
    this.poolGuard = PoolGuard.newBuilder(pool)
        .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(b.maxLimit)).build())
        .maxWait(Duration.ofNanos(b.requestTimeoutNanos))
        .build();
    QueryRoute queries = new QueryRoute(executor, poolGuard, quotas, refusals.build(),
        PriorityHeader.newBuilder().trustedSources(b.trustedSources).build(),
        b.requestTimeoutNanos, pool.meanServiceTime().toNanos());

    Map<String, Routes.Mount> mounts = new LinkedHashMap<>();
    mounts.put(QUERY_PATH, new Routes.Mount(Routes.READ_ONLY, queries::handle));
    b.contexts.forEach((path, handler) -> mounts.put(path, new Routes.Mount(null, handler)));
    if (b.registry != null) {
      this.monitor = OverloadMonitor.newBuilder(executor).build();
      SluiceMeterBinder.executor(EXECUTOR_METRICS_NAME, executor).overload(monitor)
          .bindTo(b.registry);
      SluiceMeterBinder.poolGuard(POOL_METRICS_NAME, poolGuard).bindTo(b.registry);
      PrometheusMeterRegistry registry = b.registry;
      mounts.put(Observability.METRICS_PATH, new Routes.Mount(Routes.READ_ONLY,
          (request, response, callback) -> answer(response, callback, 200,
              PrometheusMetricsHandler.CONTENT_TYPE, registry.scrape())));
      mounts.put(Observability.HEALTH_PATH, new Routes.Mount(Routes.READ_ONLY,
          (request, response, callback) -> {
            OverloadStatus status = monitor.evaluate();
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            return answer(response, callback, HealthHandler.httpStatus(status.state()),
                "application/json", HealthHandler.json(status));
          }));
    } else {
      this.monitor = null;
    }

    this.server = LoopbackHttp.server("sluice-front", b.frontThreads);
    HttpConnectionFactory http = new HttpConnectionFactory(
        LoopbackHttp.configuration(b.maxHeaderBytes));
    this.connector = LoopbackHttp.bind(
        new HeadTimeoutConnector(server, b.requestHeadTimeoutNanos, http), b.port, b.backlog);
    connector.setIdleTimeout(TimeUnit.NANOSECONDS.toMillis(b.idleTimeoutNanos));
    server.addConnector(connector);
    Handler.Wrapper guard = HeadTimeoutConnector.guard();
    SizeLimitHandler bodyLimit = new SizeLimitHandler(b.maxBodyBytes, -1);
    bodyLimit.setHandler(new Routes(mounts, b.maxHeaderFields));
    guard.setHandler(bodyLimit);
    server.setHandler(guard);
    LoopbackHttp.start(server);
  }

  /** Returns a builder of a server in front of {@code pool}, with the defaults it documents. */
  public static Builder newBuilder(ConnectionPool pool) {
    return new Builder(pool);
  }

  @Override
  public URI queryUri() {
    return LoopbackHttp.uri(connector, QUERY_PATH);
  }

  /** Returns the URI of {@code path} on this server (for mounted handlers). */
  public URI uri(String path) {
    return LoopbackHttp.uri(connector, path);
  }

  /** Returns the address the server listens on (127.0.0.1 or ::1, and its port). */
  public InetSocketAddress address() {
    return new InetSocketAddress(connector.getHost(), connector.getLocalPort());
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
    try {
      LoopbackHttp.stop(server);
    } finally {
      executor.shutdownNow();
      workers.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "ProtectedServer[" + queryUri() + ", limit " + limit() + ", " + pool + "]";
  }

  private static boolean answer(Response response, Callback callback, int status,
      String contentType, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, ByteBuffer.wrap(bytes), callback);
    return true;
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
   *   <tr><td>{@link #trustedSources}</td><td>none</td></tr>
   *   <tr><td>{@link #requestHeadTimeout}</td><td>10 s</td></tr>
   *   <tr><td>{@link #maxHeaderBytes}</td><td>8 KiB</td></tr>
   *   <tr><td>{@link #maxHeaderFields}</td><td>100</td></tr>
   *   <tr><td>{@link #maxBodyBytes}</td><td>1 MiB</td></tr>
   *   <tr><td>{@link #idleTimeout}</td><td>30 s</td></tr>
   * </table>
   */
  public static final class Builder {
    private PrometheusMeterRegistry registry;
    private final ConnectionPool pool;
    private final Map<String, Request.Handler> contexts = new LinkedHashMap<>();
    private int port;
    private long requestTimeoutNanos = Duration.ofSeconds(1).toNanos();
    private int maxLimit;
    private Limiter limiter;
    private int frontThreads = 2;
    private int backlog = 1024;
    private int quotaPerSecond;
    private int quotaBurst;
    private TrustedSources trustedSources = TrustedSources.none();
    private long requestHeadTimeoutNanos = Duration.ofSeconds(10).toNanos();
    private int maxHeaderBytes = 8 * 1024;
    private int maxHeaderFields = 100;
    private long maxBodyBytes = 1024 * 1024;
    private long idleTimeoutNanos = Duration.ofSeconds(30).toNanos();

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
     * Sets the threads that run handlers: admission decisions, {@code /metrics}, {@code /health}
     * and mounted handlers. The connector has its own acceptor and selector threads besides; no
     * client, however slow, holds a front thread while it sends.
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
     * it takes any of the capacity that tenants share, and a malformed {@code X-Tenant}
     * (repeated, empty, over 128 octets, control characters) 400.
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
     * Sets the peers whose {@code X-Priority} raises a request's level above the default,
     * {@code critical} (a gateway that sets the field itself); anyone else may only lower its own.
     * None by default: on a public interface every client would call itself critical.
     */
    public Builder trustedSources(TrustedSources sources) {
      this.trustedSources = Checks.notNull("trustedSources", sources);
      return this;
    }

    /**
     * Sets how long a client may take to send a request head (request line and header fields),
     * from its first byte; a client slower than that is answered 408 and its connection closed.
     *
     * @param timeout in [10 ms, 5 min]
     */
    public Builder requestHeadTimeout(Duration timeout) {
      this.requestHeadTimeoutNanos = Checks.inRange("requestHeadTimeout", timeout,
          Duration.ofMillis(10), Duration.ofMinutes(5));
      return this;
    }

    /**
     * Sets the largest request head, request line and header fields together: a longer request
     * line is answered 414, longer header fields 431.
     *
     * @param bytes in [1024, 1048576]
     */
    public Builder maxHeaderBytes(int bytes) {
      this.maxHeaderBytes = Checks.inRange("maxHeaderBytes", bytes, 1024, 1024 * 1024);
      return this;
    }

    /**
     * Sets the most header fields a request may have; a request with more is answered 431.
     *
     * @param fields in [1, 10000]
     */
    public Builder maxHeaderFields(int fields) {
      this.maxHeaderFields = Checks.inRange("maxHeaderFields", fields, 1, 10_000);
      return this;
    }

    /**
     * Sets the largest request body: a request that declares a longer one is answered 413, and a
     * mounted handler that reads past it fails with 413. {@code /query} never reads its body.
     *
     * @param bytes in [0, 1073741824]
     */
    public Builder maxBodyBytes(long bytes) {
      this.maxBodyBytes = Checks.inRange("maxBodyBytes", bytes, 0, 1L << 30);
      return this;
    }

    /**
     * Sets how long a connection may stay idle, with no byte coming in or going out, before the
     * server closes it. Any number of idle connections is kept until then.
     *
     * @param timeout in [100 ms, 1 h]
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeoutNanos = Checks.inRange("idleTimeout", timeout, Duration.ofMillis(100),
          Duration.ofHours(1));
      return this;
    }

    /**
     * Mounts {@code handler} at exactly {@code path}, beside {@code /query}; it runs on the front
     * threads, outside admission (for {@code /metrics}, {@code /health} and the like), and gets
     * every method: it answers 405 itself to those it does not take.
     *
     * @param path an absolute path other than {@value DemoServer#QUERY_PATH}, mounted once
     */
    public Builder context(String path, Request.Handler handler) {
      Checks.notNull("path", path);
      Checks.notNull("handler", handler);
      boolean observed = registry != null
          && (path.equals(Observability.METRICS_PATH) || path.equals(Observability.HEALTH_PATH));
      if (!path.startsWith("/") || path.equals(QUERY_PATH) || contexts.containsKey(path)
          || observed) {
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
     * when OVERLOADED), both for GET and HEAD.
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
