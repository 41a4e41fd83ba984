package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.docs.DocSnippets;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.VegasLimit;
import io.sluice.pool.Lease;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The snippets of docs/02-executors-and-pools.md, verbatim between the {@code // README}
 * markers, so that they compile and run. The virtual-thread executor comes from
 * {@code Executors.newVirtualThreadPerTaskExecutor()} on JDK 21+; the build targets 17, so this
 * test obtains it by reflection (a thread-per-task pool on 17) and wraps it exactly as shown.
 */
class GuardsReadmeTest {

  static String handle(String request) {
    return "hello " + request;
  }

  @Test
  void wrapAThreadPoolExecutor() throws Exception {
    // README: thread pool
    ThreadPoolExecutor workers =
        new ThreadPoolExecutor(32, 32, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers)
        .limiter(Limiter.newBuilder()
            .algorithm(VegasLimit.newBuilder().initialLimit(32).maxLimit(64))
            .build())
        .build();

    CompletableFuture<String> reply = executor.submit(() -> handle("alice"),
        TaskOptions.of(Priority.SHEDDABLE).withTimeout(Duration.ofMillis(500)));
    // README end
    assertThat(reply.get(1, TimeUnit.MINUTES)).isEqualTo("hello alice");

    StringBuilder response = new StringBuilder();
    // README: rejection
    try {
      executor.execute(() -> handle("bob"), TaskOptions.of(Priority.CRITICAL));
    } catch (AdmissionRejectedException e) {
      response.append("503 Retry-After: ").append(e.retryAfterSeconds()); // reason: e.reason()
    }
    // README end
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    workers.shutdown();
    assertThat(response).isEmpty();
  }

  @Test
  void wrapAVirtualThreadExecutor() throws Exception {
    // The page's line, which needs JDK 21 (the build targets 17):
    // ExecutorService virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
    ExecutorService virtualThreads = io.sluice.executor.VirtualThreads.perTaskExecutor();
    // README: virtual threads
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(virtualThreads)
        .limiter(Limiter.newBuilder().build()) // adaptive (Vegas): the limit bounds concurrency
        .build();
    // README end
    assertThat(executor.submit(() -> handle("carol")).get(1, TimeUnit.MINUTES))
        .isEqualTo("hello carol");
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    virtualThreads.shutdown();
  }

  /** A stand-in for a connection. */
  static final class Connection {
    String query(String sql) {
      return "rows of " + sql;
    }
  }

  @Test
  void guardAConnectionPool() throws Exception {
    BlockingQueue<Connection> pool = new ArrayBlockingQueue<>(20);
    for (int i = 0; i < 20; i++) {
      pool.add(new Connection());
    }
    String rows;
    // README: connection pool
    PoolGuard<Connection> guard = PoolGuard.newBuilder(new PoolAdapter<Connection>() {
      @Override
      public Connection borrow(long timeoutNanos) throws InterruptedException {
        return pool.poll(timeoutNanos, TimeUnit.NANOSECONDS); // null: none in time
      }

      @Override
      public void giveBack(Connection c) {
        pool.offer(c);
      }
    }).maxCheckouts(20).build();

    try (Lease<Connection> lease = guard.acquire(Duration.ofMillis(200))) {
      rows = lease.resource().query("select 1");
    } // all out: waits in line up to 200 ms, then AdmissionRejectedException (DEADLINE)
    // README end
    assertThat(rows).isEqualTo("rows of select 1");
    assertThat(pool).hasSize(20);
    assertThat(guard.limiter().inFlight()).isZero();

    // What the comment says: with all 20 out, the next caller waits in line, then is refused at
    // its own deadline (200 ms, before maxWait's 1 s) with a Retry-After; nothing is lost.
    List<Lease<Connection>> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      all.add(guard.acquire(Duration.ofMillis(200)));
    }
    assertThatThrownBy(() -> guard.acquire(Duration.ofMillis(200)))
        .isInstanceOfSatisfying(AdmissionRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(RejectReason.DEADLINE);
          assertThat(e.retryAfterNanos()).isPositive();
        });
    assertThat(guard.waiters()).isZero();
    all.forEach(Lease::close);
    assertThat(pool).hasSize(20);
    assertThat(guard.limiter().inFlight()).isZero();
  }

  static String query(Connection c) {
    return c.query("select 1");
  }

  @Test
  void anExecutorInFrontOfAPoolGuard() throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(4);
    int poolSize = 2;
    BlockingQueue<Connection> connections = new ArrayBlockingQueue<>(poolSize);
    for (int i = 0; i < poolSize; i++) {
      connections.add(new Connection());
    }
    PoolAdapter<Connection> adapter = new PoolAdapter<>() {
      @Override
      public Connection borrow(long timeoutNanos) throws InterruptedException {
        return connections.poll(timeoutNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void giveBack(Connection c) {
        connections.offer(c);
      }
    };
    Priority priority = Priority.CRITICAL;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    // README: executor in front of a pool guard
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers)
        .limiter(Limiter.newBuilder().build())
        .build();
    PoolGuard<Connection> guard = PoolGuard.newBuilder(adapter).maxCheckouts(poolSize).build();

    CompletableFuture<String> rows = executor.submit(() -> {
      try (Lease<Connection> lease = guard.acquireBy(deadline)) {
        return query(lease.resource());
      }
    }, TaskOptions.of(priority).withDeadline(deadline));
    // README end
    assertThat(rows.get(1, TimeUnit.MINUTES)).isEqualTo("rows of select 1");
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    workers.shutdown();
    assertThat(connections).hasSize(poolSize);
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(executor.limiter().inFlight()).isZero();
  }

  /**
   * Every line of the page's Java snippets is a line of this test, except the JDK 21 factory call
   * that this 17-targeted build obtains by reflection.
   */
  @Test
  void theDocsShowTheSnippetsThisTestRuns() {
    String page = DocSnippets.page("docs/02-executors-and-pools.md");
    assertThat(DocSnippets.blocks(page, "java")).hasSize(5);
    List<String> missing = DocSnippets.linesMissingFrom(page,
            Path.of("src", "test", "java", "io", "sluice", "GuardsReadmeTest.java")).stream()
        .filter(l -> !l.contains("Executors.newVirtualThreadPerTaskExecutor()"))
        .toList();
    assertThat(missing).as("documented lines not run by this test").isEmpty();
  }
}
