package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sluice.pool.Lease;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The standing-queue rule in virtual time over a scripted gauge, and what the adapters read from a
 * real executor and a real guard (threads held on latches, no timing).
 */
class PoolSaturationDetectorTest {
  private final VirtualSleeper time = new VirtualSleeper();

  /** A gauge the test sets. */
  static final class FakeGauge implements PoolGauge {
    volatile int busy;
    volatile int waiting;

    FakeGauge set(int busy, int waiting) {
      this.busy = busy;
      this.waiting = waiting;
      return this;
    }

    @Override
    public int busy() {
      return busy;
    }

    @Override
    public int waiting() {
      return waiting;
    }
  }

  private final FakeGauge gauge = new FakeGauge();

  /** Defaults: 100 ms period, 1 s window (10 readings), any standing queue / 1 round. */
  private Sampler detector(PoolSaturationDetector.Builder builder) {
    return VirtualSleeper.opened(builder.time(time.clock, time).build().sampler());
  }

  @Test
  void aQueueThatStandsThroughAWholeWindowIsElevated() throws InterruptedException {
    Sampler sampler = detector(PoolSaturationDetector.newBuilder(gauge));
    gauge.set(4, 3);

    assertThat(VirtualSleeper.run(sampler, 9).level())
        .as("not yet a whole window").isEqualTo(OverloadLevel.NONE);
    OverloadSignal signal = VirtualSleeper.run(sampler, 1);

    assertThat(signal.level()).isEqualTo(OverloadLevel.ELEVATED);
    assertThat(signal.value()).as("3 waiting for 4 busy").isCloseTo(0.75, within(1e-9));
    assertThat(signal.pressure()).isCloseTo(0.75, within(1e-9));
  }

  @Test
  void aQueueThatEmptiesOnceInTheWindowIsABurstNotABacklog() throws InterruptedException {
    Sampler sampler = detector(PoolSaturationDetector.newBuilder(gauge));
    gauge.set(4, 50);
    VirtualSleeper.run(sampler, 5);
    gauge.set(3, 0);
    VirtualSleeper.run(sampler, 1);
    gauge.set(4, 50);

    assertThat(VirtualSleeper.run(sampler, 9).level())
        .as("the empty reading is still in the window").isEqualTo(OverloadLevel.NONE);
    assertThat(VirtualSleeper.run(sampler, 1).level()).isEqualTo(OverloadLevel.SEVERE);
  }

  @Test
  void aStandingQueueOfOneRoundOrMoreIsSevere() throws InterruptedException {
    Sampler sampler = detector(PoolSaturationDetector.newBuilder(gauge));
    gauge.set(4, 9);
    VirtualSleeper.run(sampler, 5);
    gauge.set(4, 4);

    OverloadSignal signal = VirtualSleeper.run(sampler, 5);

    assertThat(signal.level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(signal.value()).as("the smallest queue of the window").isEqualTo(1.0);
  }

  @Test
  void thresholdsInRoundsAreSettable() throws InterruptedException {
    Sampler sampler = detector(PoolSaturationDetector.newBuilder(gauge).thresholds(0.5, 2.0)
        .period(Duration.ofMillis(10)).window(Duration.ofMillis(50)));

    gauge.set(10, 4);
    assertThat(VirtualSleeper.run(sampler, 5).level()).isEqualTo(OverloadLevel.NONE);
    gauge.set(10, 5);
    assertThat(VirtualSleeper.run(sampler, 5).level()).isEqualTo(OverloadLevel.ELEVATED);
    gauge.set(10, 20);
    assertThat(VirtualSleeper.run(sampler, 5).level()).isEqualTo(OverloadLevel.SEVERE);
  }

  @Test
  void waitersWithNothingBusyCountAsRoundsOfOne() throws InterruptedException {
    Sampler sampler = detector(PoolSaturationDetector.newBuilder(gauge));
    gauge.set(0, 2);

    assertThat(VirtualSleeper.run(sampler, 10).value()).isEqualTo(2.0);
  }

  @Test
  void configurationErrorsNameTheParameterAndTheRange() {
    PoolSaturationDetector.Builder b = PoolSaturationDetector.newBuilder(gauge);

    assertThatThrownBy(() -> b.thresholds(0.0, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("severe must be in (0.0, 1000.0] but was 0.0");
    assertThatThrownBy(() -> b.thresholds(2.0, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("severe must be in [2.0, 1000.0] but was 1.0");
    assertThatThrownBy(() -> PoolSaturationDetector.newBuilder((PoolGauge) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("gauge must not be null");
    assertThat(b.build().name()).isEqualTo("pool");
  }

  @Test
  @Timeout(30)
  void anExecutorsGaugeReadsActiveThreadsAndItsQueue() throws Exception {
    ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 4, 1, TimeUnit.MINUTES,
        new LinkedBlockingQueue<>());
    CountDownLatch running = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    try {
      PoolGauge gauge = new PoolSaturationDetector.ExecutorGauge(executor);
      assertThat(gauge.busy()).isZero();
      assertThat(gauge.waiting()).isZero();
      for (int i = 0; i < 5; i++) {
        executor.execute(() -> {
          running.countDown();
          awaitQuietly(release);
        });
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

      // An unbounded queue: the executor stays at its two core threads, however many wait.
      assertThat(gauge.busy()).isEqualTo(2);
      assertThat(gauge.waiting()).isEqualTo(3);
    } finally {
      release.countDown();
      executor.shutdown();
      assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  @Timeout(30)
  void aScheduledExecutorsDelayedTasksDoNotWaitOnlyItsDueOnesDo() throws Exception {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1);
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      PoolGauge gauge = new PoolSaturationDetector.ExecutorGauge(executor);
      executor.schedule(() -> { }, 1, TimeUnit.HOURS);
      assertThat(gauge.waiting()).as("not due for an hour").isZero();

      executor.execute(() -> {
        running.countDown();
        awaitQuietly(release);
      });
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      executor.execute(() -> { });
      executor.execute(() -> { });

      assertThat(gauge.busy()).isEqualTo(1);
      assertThat(gauge.waiting()).isEqualTo(2);
    } finally {
      release.countDown();
      executor.shutdownNow();
      assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  @Timeout(30)
  void aGuardsGaugeReadsHoldersAndTheCallersWaitingInsideThePool() throws Exception {
    BlockingQueue<String> idle = new ArrayBlockingQueue<>(1);
    idle.add("connection");
    CountDownLatch borrowing = new CountDownLatch(2);
    PoolAdapter<String> adapter = new PoolAdapter<>() {
      @Override
      public String borrow(long timeoutNanos) throws InterruptedException {
        borrowing.countDown();
        return idle.poll(timeoutNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void giveBack(String resource) {
        idle.add(resource);
      }
    };
    PoolGuard<String> guard = PoolGuard.newBuilder(adapter).maxCheckouts(5)
        .maxWait(Duration.ofMinutes(1)).build();
    PoolGauge gauge = new PoolSaturationDetector.GuardGauge(guard);
    ExecutorService waiter = Executors.newSingleThreadExecutor();
    try {
      Lease<String> held = guard.acquire(Duration.ofSeconds(10));
      Future<String> second = waiter.submit(() -> {
        try (Lease<String> lease = guard.acquire(Duration.ofMinutes(1))) {
          return lease.resource();
        }
      });
      assertThat(borrowing.await(10, TimeUnit.SECONDS)).isTrue();

      assertThat(gauge.busy()).isEqualTo(1);
      assertThat(gauge.waiting()).isEqualTo(1);

      held.close();
      assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("connection");
      assertThat(gauge.waiting()).isZero();
      assertThat(gauge.busy()).isZero();
    } finally {
      waiter.shutdownNow();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
