package io.sluice.examples.http;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.client.AdaptiveThrottle;
import io.sluice.client.Backoff;
import io.sluice.client.RetryBudget;
import io.sluice.client.RetryPolicy;
import io.sluice.examples.http.LoadGenerator.Sample;
import io.sluice.examples.observability.Observability;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The overload demo, the main command of {@code sluice-demo.jar}: the same HTTP endpoint in front
 * of the same database pool, first {@link UnprotectedServer unprotected}, then {@link
 * ProtectedServer protected by Sluice}, each driven by an open-loop {@link LoadGenerator} at 0.5x,
 * 1x, 2x, 5x and 10x the database's capacity. It prints one table per server, then the figures of a
 * {@link RetryingClient} against the protected server at 5x, and writes a chart of everything over
 * time ({@code sluice-demo.html} beside the jar). About a minute on two cores.
 *
 * <p>Options (all optional): {@code --level-seconds S} (default 4), {@code --connections N}
 * (8), {@code --service-ms MS} (100: with 8 connections a capacity of 80 requests per second, so
 * that 10x stays within what one JDK {@code HttpClient} can send on two cores), {@code
 * --objective-ms MS} (500), {@code --chart FILE}.
 */
public final class OverloadDemo {
  private static final double[] LOADS = {0.5, 1, 2, 5, 10};
  private static final double RETRY_LOAD = 5;
  private static final int CRITICAL_EVERY = 20;
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(2);
  private static final int MAX_OUTSTANDING = 512;
  private static final Duration MAX_DRAIN = Duration.ofSeconds(5);
  private static final long BUCKET_NANOS = 500_000_000L;

  /**
   * The demo's settings.
   *
   * @param levelSeconds how long each load level lasts
   * @param connections the database pool's connections
   * @param serviceTime the mean query time
   * @param objective the latency within which a 200 counts as good
   * @param chart where the HTML chart is written
   */
  public record Settings(double levelSeconds, int connections, Duration serviceTime,
      Duration objective, Path chart) {

    /** Checks the settings' ranges. */
    public Settings {
      Checks.inRange("levelSeconds", levelSeconds, 0.1, 600);
      Checks.inRange("connections", connections, 1, 1000);
      Checks.inRange("serviceTime", serviceTime, Duration.ofMillis(1), Duration.ofSeconds(10));
      Checks.inRange("objective", objective, Duration.ofMillis(1), Duration.ofMinutes(1));
      Checks.notNull("chart", chart);
    }

    /**
     * Returns the protected server's request deadline: half the objective, so that a request
     * admitted just before it still answers within the objective after a slow query.
     */
    public Duration deadline() {
      return objective.dividedBy(2);
    }

    /** Parses command-line options over the defaults. */
    public static Settings parse(String... args) {
      double levelSeconds = 4;
      int connections = 8;
      long serviceMillis = 100;
      long objectiveMillis = 500;
      Path chart = defaultChart();
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + option + " needs a value");
        }
        String value = args[++i];
        switch (option) {
          case "--level-seconds":
            levelSeconds = Double.parseDouble(value);
            break;
          case "--connections":
            connections = Integer.parseInt(value);
            break;
          case "--service-ms":
            serviceMillis = Long.parseLong(value);
            break;
          case "--objective-ms":
            objectiveMillis = Long.parseLong(value);
            break;
          case "--chart":
            chart = Path.of(value);
            break;
          default:
            throw new IllegalArgumentException("unknown option " + option + "; known: "
                + "--level-seconds, --connections, --service-ms, --objective-ms, --chart");
        }
      }
      return new Settings(levelSeconds, connections, Duration.ofMillis(serviceMillis),
          Duration.ofMillis(objectiveMillis), chart);
    }

    /** Returns {@code sluice-demo.html} beside the jar (or the classes directory) of the demo. */
    private static Path defaultChart() {
      Path fallback = Path.of("sluice-demo.html");
      CodeSource source = OverloadDemo.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return fallback;
      }
      try {
        Path dir = Path.of(source.getLocation().toURI()).getParent();
        return dir == null ? fallback : dir.resolve(fallback);
      } catch (URISyntaxException | IllegalArgumentException e) {
        return fallback; // not a file: URI
      }
    }
  }

  /**
   * What the demo measured.
   *
   * @param unprotected one report per level, unprotected
   * @param protectedLevels one report per level, protected
   * @param retries the retrying client's figures
   * @param chart the chart written
   */
  public record Result(List<LevelReport> unprotected, List<LevelReport> protectedLevels,
      RetryReport retries, Path chart) {}

  private final Settings settings;
  private final PrintStream out;
  private final ScheduledExecutorService scheduler =
      Executors.newScheduledThreadPool(1, DaemonThreads.named("demo-scheduler-"));

  private OverloadDemo(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs the demo with the given options; prints to standard output. */
  public static void main(String[] args) throws Exception {
    // The JDK HttpClient keeps every connection it ever opened (none are reaped for 20 minutes),
    // and its pool's bookkeeping grows with them: cap the idle connections it keeps.
    if (System.getProperty("jdk.httpclient.connectionPoolSize") == null) {
      System.setProperty("jdk.httpclient.connectionPoolSize", "64");
    }
    run(Settings.parse(args), System.out);
  }

  /** Runs the demo and prints its report to {@code out}; returns what it measured. */
  public static Result run(Settings settings, PrintStream out)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    OverloadDemo demo = new OverloadDemo(settings, out);
    try {
      return demo.run();
    } finally {
      demo.scheduler.shutdownNow();
    }
  }

  private Result run()
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    long start = System.nanoTime();
    ConnectionPool pool = ConnectionPool.create(settings.connections(), settings.serviceTime());
    double capacity = pool.capacityPerSecond();
    out.printf(Locale.ROOT, "Sluice overload demo: one HTTP endpoint over a database pool, "
        + "unprotected, then protected by Sluice.%n");
    out.printf(Locale.ROOT, "Machine: %d cores, Java %s, load average %.2f at start.%n",
        Runtime.getRuntime().availableProcessors(), Runtime.version(), loadAverage());
    out.printf(Locale.ROOT, "Database: %d connections, queries of %d ms on average (log-normal): "
        + "capacity %.0f requests/s.%n", pool.size(), settings.serviceTime().toMillis(), capacity);
    out.printf(Locale.ROOT, "Load: open loop (JDK HttpClient), %.0f s per level at 0.5x to 10x "
        + "capacity; 1 request in %d is X-Priority: critical, the others sheddable;%n"
        + "      client timeout %d s, at most %d requests outstanding; JIT warm-up first, not "
        + "reported.%n",
        settings.levelSeconds(), CRITICAL_EVERY, CLIENT_TIMEOUT.toSeconds(), MAX_OUTSTANDING);
    out.printf(Locale.ROOT, "Good: a 200 within %d ms (the objective).%n%n",
        settings.objective().toMillis());

    warmUpJit(pool);

    Timeline plain = new Timeline("unprotected");
    List<LevelReport> unprotected;
    try (UnprotectedServer server = UnprotectedServer.start(pool,
        UnprotectedServer.DEFAULT_THREADS, UnprotectedServer.DEFAULT_POOL_TIMEOUT)) {
      out.printf(Locale.ROOT, "Unprotected: %d request threads, unbounded queue, pool timeout "
          + "%d s, no limit.%n", UnprotectedServer.DEFAULT_THREADS,
          UnprotectedServer.DEFAULT_POOL_TIMEOUT.toSeconds());
      unprotected = drive(server, plain, capacity);
    }

    Timeline guarded = new Timeline("protected");
    List<LevelReport> protectedLevels;
    RetryReport retries;
    try (ProtectedServer server = ProtectedServer.newBuilder(pool)
        .requestTimeout(settings.deadline())
        .observability(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .start()) {
      out.printf(Locale.ROOT, "%nProtected by Sluice: AdmissionExecutor (Vegas, limit up to %d) "
          + "and PoolGuard, X-Priority honoured, request deadline %d ms.%n",
          4 * pool.size(), settings.deadline().toMillis());
      protectedLevels = drive(server, guarded, capacity);
      out.printf("%nWhat an operator sees after the 10x level (GET /health, then GET /metrics, "
          + "the executor's lines):%n%s", operatorView(server));
      retries = retryPhase(server, capacity * RETRY_LOAD);
    }
    out.printf(Locale.ROOT, "%nRetrying client against the protected server at %.0fx "
        + "(%.0f calls/s for %.0f s): RetryPolicy of 3 attempts, backoff 100 ms to 10 s floored by "
        + "Retry-After,%nretry budget 10%% of calls, adaptive throttle K = 2.%n", RETRY_LOAD,
        capacity * RETRY_LOAD, settings.levelSeconds());
    out.print(RetryReport.table(retries));

    String notes = legend();
    out.printf("%n%s", notes);
    String tables = "Unprotected\n" + LevelReport.table(unprotected) + "\nProtected by Sluice\n"
        + LevelReport.table(protectedLevels) + "\nRetrying client\n" + RetryReport.table(retries)
        + "\n" + notes;
    DemoChart.write(settings.chart(), "Sluice overload demo",
        String.format(Locale.ROOT, "%d connections x %d ms queries = %.0f requests/s; open-loop "
            + "load at 0.5x, 1x, 2x, 5x, 10x for %.0f s each; good = 200 within %d ms.",
            pool.size(), settings.serviceTime().toMillis(), capacity, settings.levelSeconds(),
            settings.objective().toMillis()),
        List.of(column("Unprotected (200 threads, unbounded queue)", plain),
            column("Protected by Sluice", guarded)),
        settings.objective().toMillis(), tables);
    out.printf(Locale.ROOT, "%nChart: %s%nTook %.0f s; load average %.2f at the end.%n",
        settings.chart().toAbsolutePath(), (System.nanoTime() - start) / 1e9, loadAverage());
    return new Result(unprotected, protectedLevels, retries, settings.chart());
  }

  /**
   * Returns the protected server's {@code /health} answer and the lines of its {@code /metrics}
   * scrape that describe the admission executor's limit and refusals, as an operator would see them.
   */
  static String operatorView(ProtectedServer server) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> health = http.send(
        HttpRequest.newBuilder(server.uri(Observability.HEALTH_PATH)).build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> metrics = http.send(
        HttpRequest.newBuilder(server.uri(Observability.METRICS_PATH)).build(),
        HttpResponse.BodyHandlers.ofString());
    StringBuilder view = new StringBuilder();
    view.append("  /health ").append(health.statusCode()).append(' ').append(health.body().strip())
        .append('\n');
    metrics.body().lines()
        .filter(line -> line.startsWith("sluice_limiter_limit")
            || line.startsWith("sluice_executor_rejected_total")
            || line.startsWith("sluice_overload_"))
        .filter(line -> !line.endsWith(" 0.0"))
        .forEach(line -> view.append("  ").append(line).append('\n'));
    return view.toString();
  }

  /**
   * Runs a protected server briefly at rising rates so that the JIT has compiled the client and
   * server paths before anything is measured (a cold JVM answers its first thousand requests
   * hundreds of milliseconds late).
   */
  private void warmUpJit(ConnectionPool pool)
      throws IOException, InterruptedException, ExecutionException, TimeoutException {
    try (ProtectedServer server = ProtectedServer.newBuilder(pool).start();
        LoadGenerator load = generator(server)) {
      double capacity = pool.capacityPerSecond();
      for (double multiple : new double[] {0.5, 2, 5}) {
        double rate = capacity * multiple;
        await(load.run(rate, count(rate, 0.2 * settings.levelSeconds())));
      }
    }
  }

  /** Drives a server through every level; returns one report per level. */
  private List<LevelReport> drive(DemoServer server, Timeline timeline, double capacity)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<LevelReport> reports = new ArrayList<>();
    ScheduledFuture<?> sampling = scheduler.scheduleAtFixedRate(
        () -> timeline.gauge(server.limit(), server.inFlight()), 0, 100, TimeUnit.MILLISECONDS);
    try (LoadGenerator load = generator(server)) {
      await(load.run(capacity * 0.5, count(capacity * 0.5, 0.2 * settings.levelSeconds())));
      out.print(LevelReport.table(List.of()));
      for (double multiple : LOADS) {
        double rate = capacity * multiple;
        long from = System.nanoTime();
        List<Sample> samples = await(load.run(rate, count(rate, settings.levelSeconds())));
        long to = from + (long) (settings.levelSeconds() * 1e9);
        String label = (multiple < 1 ? String.valueOf(multiple) : String.valueOf((int) multiple))
            + "x";
        timeline.addLevel(label, from, to, samples);
        LevelReport report = LevelReport.of(label, rate, settings.levelSeconds(),
            settings.objective(), samples, timeline.limitsBetween(from, to));
        reports.add(report);
        out.print(LevelReport.table(List.of(report)).lines().skip(1).findFirst().orElse("")
            + System.lineSeparator());
        awaitQuiet(server);
      }
    } finally {
      sampling.cancel(false);
    }
    return reports;
  }

  /** Calls the protected server through {@link RetryingClient}, open loop at {@code rate}. */
  private RetryReport retryPhase(ProtectedServer server, double rate)
      throws InterruptedException, ExecutionException, TimeoutException {
    RetryPolicy policy = RetryPolicy.newBuilder()
        .maxAttempts(3)
        .backoff(Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(10)))
        .maxRetryAfter(Duration.ofSeconds(10))
        .budget(RetryBudget.of(0.1, 10))
        .throttle(AdaptiveThrottle.newBuilder().window(Duration.ofSeconds(10)).build())
        .build();
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    RetryingClient client = new RetryingClient(http, server.queryUri(), policy,
        (nanos, task) -> scheduler.schedule(task, nanos, TimeUnit.NANOSECONDS));
    int count = count(rate, settings.levelSeconds());
    List<CompletableFuture<RetryingClient.Result>> calls = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      calls.add(new CompletableFuture<>());
    }
    OpenLoop.start(scheduler, rate, count,
        (index, due) -> client.call().whenComplete((result, failure) -> {
          if (failure != null) {
            calls.get(index).completeExceptionally(failure);
          } else {
            calls.get(index).complete(result);
          }
        }));
    CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]))
        .get((long) (settings.levelSeconds() + 60), TimeUnit.SECONDS);
    List<RetryingClient.Result> results = new ArrayList<>(count);
    for (CompletableFuture<RetryingClient.Result> call : calls) {
      results.add(call.get());
    }
    return RetryReport.of(results);
  }

  /** Waits until the server has no request inside, for at most {@link #MAX_DRAIN}. */
  private static void awaitQuiet(DemoServer server) throws InterruptedException {
    long end = System.nanoTime() + MAX_DRAIN.toNanos();
    while (server.inFlight() > 0 && System.nanoTime() < end) {
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  private static LoadGenerator generator(DemoServer server) {
    return LoadGenerator.newBuilder(server.queryUri())
        .timeout(CLIENT_TIMEOUT)
        .maxOutstanding(MAX_OUTSTANDING)
        .criticalEvery(CRITICAL_EVERY)
        .build();
  }

  private DemoChart.Column column(String title, Timeline timeline) {
    return new DemoChart.Column(title,
        timeline.points(BUCKET_NANOS, settings.objective().toNanos()), timeline.bands(),
        timeline.lengthSeconds());
  }

  private static int count(double rate, double seconds) {
    return Math.max(1, (int) Math.round(rate * seconds));
  }

  private <T> T await(CompletableFuture<T> future)
      throws InterruptedException, ExecutionException, TimeoutException {
    return future.get((long) (settings.levelSeconds() + CLIENT_TIMEOUT.toSeconds() + 30),
        TimeUnit.SECONDS);
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private String legend() {
    return String.format(Locale.ROOT, "Columns: offered and sent requests/s; goodput: 200s within "
        + "%d ms per second; ok%%adm: good / admitted (sent and not refused with 503/429);%n"
        + "crit%%: good critical requests / critical requests due; 503: refusals; t/o: client "
        + "timeouts (%d s); not sent: due while %d were outstanding;%n"
        + "p50/p99/p99.9: latency of 200s from the time each request was due; 503 p50: median "
        + "time to a 503; errors: no HTTP answer; limit: median concurrency limit;%n"
        + "lag p99: how late the generator sent (when large, the client machine could not keep "
        + "up and the figures are the client's as much as the server's).%n",
        settings.objective().toMillis(), CLIENT_TIMEOUT.toSeconds(), MAX_OUTSTANDING);
  }
}
