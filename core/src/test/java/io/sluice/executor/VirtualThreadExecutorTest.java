package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.limit.FixedLimit;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The executor over a thread-per-task executor: virtual threads where the JDK has them (21+,
 * found by reflection since the build targets 17), platform threads otherwise. Thousands of tasks
 * park on a latch: the limit, not the thread count, bounds how many run, and nothing waits on a
 * monitor (the executor holds none), so virtual threads never pin. Run the suite on a newer JDK to
 * exercise virtual threads: {@code mvn -pl core test -Djvm=/path/to/jdk21+/bin/java}.
 */
@Tag("stress")
class VirtualThreadExecutorTest {

  @Test
  void theLimitBoundsParkedTasksOnAThreadPerTaskExecutor() throws Exception {
    ExecutorService threads = VirtualThreads.perTaskExecutor();
    System.out.println("thread-per-task executor: " + threads.getClass().getName());
    int limit = 50;
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(threads)
        .limiter(Limiter.newBuilder().algorithm(FixedLimit.of(limit)).build())
        .queueCapacity(4_000)
        .codel(Duration.ofHours(1), Duration.ofHours(1))
        .build();
    CountDownLatch gate = new CountDownLatch(1);
    CountDownLatch allAdmitted = new CountDownLatch(limit);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    CompletableFuture<?>[] futures = new CompletableFuture<?>[2_000];
    for (int i = 0; i < futures.length; i++) {
      futures[i] = executor.submit(() -> {
        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
        allAdmitted.countDown();
        gate.await();
        running.decrementAndGet();
        return null;
      });
    }
    assertThat(allAdmitted.await(1, TimeUnit.MINUTES)).isTrue();
    assertThat(executor.queued()).isEqualTo(futures.length - limit);
    gate.countDown();
    CompletableFuture.allOf(futures).get(1, TimeUnit.MINUTES);
    executor.shutdown();
    assertThat(executor.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
    assertThat(peak.get()).isEqualTo(limit);
    assertThat(executor.limiter().inFlight()).isZero();
    threads.shutdown();
  }
}
