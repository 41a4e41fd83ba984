package io.sluice.benchmarks;

import io.lettuce.core.RedisURI;
import io.sluice.Ticket;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.redis.GlobalRateLimiter;
import io.sluice.redis.GlobalRateLimiterSnapshot;
import io.sluice.redis.RedisQuotaStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The admission cost of a fleet-wide quota on one node: Sluice's {@link GlobalRateLimiter} on a
 * redis-server that the benchmark starts on a loopback port, unbatched and batched (slices of 64),
 * next to core's local keyed limiter configured alike. The rate is far above what the threads can
 * take, so every call is admitted: one key per benchmark thread ({@code admitPerKey}) and one key
 * for all threads ({@code admitHotKey}). Reports throughput and sampled latency (percentiles).
 *
 * <pre>
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar RedisRateLimiterBenchmark -t 1
 * java -jar benchmarks/target/benchmarks.jar RedisRateLimiterBenchmark -t 8
 * </pre>
 *
 * Needs redis-server on the PATH (the Debian package). The figures include the loopback round
 * trip and Redis's own time on the same cores, as a node and a nearby Redis would share a machine
 * only in a test; on separate hosts add the network's round trip to the unbatched figures.
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class RedisRateLimiterBenchmark {

  /** Where the buckets are. */
  public enum Store {
    /** Core's keyed limiter: the buckets in this process, for reference. */
    LOCAL,
    /** One Redis round trip per admission. */
    REDIS,
    /** Slices of 64 permits per round trip. */
    REDIS_BATCHED
  }

  @Param({"LOCAL", "REDIS", "REDIS_BATCHED"})
  public Store store;

  private KeyedRateLimiter<String> limiter;
  private Process server;
  private Path dir;
  private RedisQuotaStore quotaStore;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    if (store == Store.LOCAL) {
      limiter = KeyedRateLimiter.newBuilder()
          .rate(1_000_000_000L, Duration.ofSeconds(1)).burst(1_000_000).build();
      return;
    }
    int port = freePort();
    dir = Files.createTempDirectory("sluice-redis-bench");
    server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind",
        "127.0.0.1", "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--logfile",
        "", "--daemonize", "no").redirectErrorStream(true).start();
    awaitReady(server);
    quotaStore = RedisQuotaStore.connect(RedisURI.create("redis://127.0.0.1:" + port));
    GlobalRateLimiter.Builder builder = GlobalRateLimiter.newBuilder()
        .store(quotaStore)
        .name("bench")
        .rate(1_000_000_000L, Duration.ofSeconds(1))
        .burst(1_000_000)
        .failClosed()
        // Generous, so that a noisy machine measures round trips, not fallbacks.
        .budget(Duration.ofMillis(200));
    if (store == Store.REDIS_BATCHED) {
      builder.batch(64, Duration.ofMillis(100));
    }
    limiter = builder.build();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException, InterruptedException {
    if (limiter instanceof GlobalRateLimiter) {
      GlobalRateLimiterSnapshot snapshot = ((GlobalRateLimiter) limiter).snapshot();
      System.out.printf("%n%s: %d store calls, %d failed, %d decided locally%n", store,
          snapshot.storeCalls(), snapshot.storeFailures(), snapshot.localDecisions());
    }
    if (quotaStore != null) {
      quotaStore.close();
    }
    if (server != null) {
      server.destroy();
      server.waitFor(10, TimeUnit.SECONDS);
    }
    if (dir != null) {
      Files.deleteIfExists(dir);
    }
  }

  /** Each benchmark thread is its own tenant. */
  @State(Scope.Thread)
  public static class Tenant {
    private static final AtomicInteger NEXT = new AtomicInteger();
    String key;

    @Setup
    public void setUp() {
      key = "tenant-" + NEXT.getAndIncrement();
    }
  }

  @Benchmark
  public boolean admitPerKey(Tenant tenant) {
    return Ticket.isPermit(limiter.tryAcquire(tenant.key));
  }

  @Benchmark
  public boolean admitHotKey() {
    return Ticket.isPermit(limiter.tryAcquire("hot"));
  }

  private static void awaitReady(Process process) throws IOException {
    BufferedReader log = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = log.readLine()) != null) {
      if (line.contains("Ready to accept connections")) {
        Thread drain = new Thread(() -> {
          try {
            while (log.readLine() != null) {
              // Keep the pipe from filling up.
            }
          } catch (IOException e) {
            // The server has gone.
          }
        }, "redis-server-log");
        drain.setDaemon(true);
        drain.start();
        return;
      }
    }
    throw new IllegalStateException("redis-server exited before it was ready");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
