package io.sluice.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.ManualClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The binder's meters, read from a SimpleMeterRegistry after scripted sequences. */
class SluiceMeterBinderTest {
  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();
  private final MeterRegistry registry = new SimpleMeterRegistry();

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  private double seconds(String name, String... tags) {
    return registry.get(name).tags(tags).timeGauge().value(TimeUnit.SECONDS);
  }

  @Test
  void limiterMetersReadExactlyWhatHappened() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(3))
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 3).retryAfterJitter(0).build();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock)
        .rejectionRatio(0.05, Duration.ZERO).minRequests(1).build();
    SluiceMeterBinder.limiter("api", limiter).tags(Tags.of("zone", "a")).overload(monitor)
        .clock(clock).quantileStep(Duration.ofSeconds(10)).bindTo(registry);

    clock.advanceNanos(100 * MS);
    long a = limiter.tryAcquire();
    long b = limiter.tryAcquire();
    long c = limiter.tryAcquire();
    limiter.tryAcquire();                       // rejected
    assertThat(gauge("sluice.limiter.inflight", "name", "api", "zone", "a")).isEqualTo(3);
    clock.advanceNanos(20 * MS);
    limiter.release(a, Outcome.SUCCESS);
    limiter.release(b, Outcome.SUCCESS);
    limiter.release(c, Outcome.DROPPED);        // the third sample closes the window
    limiter.release(c, Outcome.DROPPED);        // invalid
    long d = limiter.tryAcquire();
    limiter.release(d, Outcome.IGNORED);

    assertThat(gauge("sluice.limiter.limit", "name", "api")).isEqualTo(3);
    assertThat(gauge("sluice.limiter.inflight", "name", "api")).isZero();
    // (0 in flight + 1 refused) / (3 completions per 120 ms): 40 ms.
    assertThat(seconds("sluice.limiter.retry.after", "name", "api"))
        .isEqualTo(limiter.retryAfterNanos() / 1e9).isCloseTo(0.04, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(counter("sluice.limiter.admitted", "name", "api")).isEqualTo(4);
    assertThat(counter("sluice.limiter.completed", "name", "api", "outcome", "success")).isEqualTo(2);
    assertThat(counter("sluice.limiter.completed", "name", "api", "outcome", "dropped")).isEqualTo(1);
    assertThat(counter("sluice.limiter.completed", "name", "api", "outcome", "ignored")).isEqualTo(1);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "limit_reached"))
        .isEqualTo(1);
    assertThat(counter("sluice.limiter.invalid.releases", "name", "api")).isEqualTo(1);
    assertThat(counter("sluice.limiter.windows", "name", "api")).isEqualTo(1);

    // Quantiles show the last completed step: none yet, then the 20 ms samples.
    assertThat(seconds("sluice.limiter.rtt", "name", "api", "quantile", "0.99")).isZero();
    clock.advanceNanos(10_000 * MS);
    assertThat(seconds("sluice.limiter.rtt", "name", "api", "quantile", "0.5"))
        .isCloseTo(0.020, org.assertj.core.data.Offset.offset(0.0006));
    assertThat(seconds("sluice.limiter.rtt.max", "name", "api")).isCloseTo(0.020,
        org.assertj.core.data.Offset.offset(0.0006));
    assertThat(registry.get("sluice.limiter.rtt").timeGauges()).hasSize(3);

    // 1 rejected of 5 requests in the monitor's interval, sustain 0: OVERLOADED (2).
    assertThat(gauge("sluice.overload.state", "name", "api")).isEqualTo(2);
    assertThat(gauge("sluice.overload.rejection.ratio", "name", "api")).isEqualTo(0.2);
  }

  @Test
  void executorMetersCountTasksByPriorityReasonAndOutcome() {
    ArrayDeque<Runnable> workers = new ArrayDeque<>();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers::add).clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .queueCapacity(1).build();
    SluiceMeterBinder.executor("jobs", executor).clock(clock).bindTo(registry);

    CompletableFuture<String> first = executor.submit(() -> {
      throw new TimeoutException("slow backend");
    }, TaskOptions.of(Priority.CRITICAL));
    executor.submit(() -> "queued", TaskOptions.of(Priority.SHEDDABLE));
    assertThatThrownBy(() -> executor.submit(() -> "x", TaskOptions.of(Priority.SHEDDABLE)))
        .isInstanceOf(AdmissionRejectedException.class);
    assertThat(gauge("sluice.executor.queued", "name", "jobs", "priority", "sheddable")).isEqualTo(1);

    clock.advanceNanos(5 * MS);
    workers.poll().run();                      // DROPPED; the queued task waited 5 ms
    workers.poll().run();

    assertThat(first).isCompletedExceptionally();
    assertThat(counter("sluice.executor.admitted", "priority", "critical")).isEqualTo(1);
    assertThat(counter("sluice.executor.admitted", "priority", "sheddable")).isEqualTo(1);
    assertThat(counter("sluice.executor.rejected", "priority", "sheddable", "reason", "queue_full"))
        .isEqualTo(1);
    assertThat(counter("sluice.executor.completed", "priority", "critical", "outcome", "dropped"))
        .isEqualTo(1);
    assertThat(counter("sluice.executor.completed", "priority", "sheddable", "outcome", "success"))
        .isEqualTo(1);
    assertThat(registry.get("sluice.executor.shed").functionCounters())
        .allSatisfy(c -> assertThat(c.count()).isZero());
    assertThat(gauge("sluice.executor.queued", "name", "jobs", "priority", "sheddable")).isZero();
    clock.advanceNanos(60_000 * MS);
    assertThat(seconds("sluice.executor.queue.wait.max", "priority", "sheddable"))
        .isCloseTo(0.005, org.assertj.core.data.Offset.offset(0.0002));
    // Admitted at once: a wait of 0, reported as the first bucket's midpoint (0.5 us).
    assertThat(seconds("sluice.executor.queue.wait", "priority", "critical", "quantile", "0.5"))
        .isLessThan(1e-6);
    // The executor's limiter is bound with it, under the same name.
    assertThat(counter("sluice.limiter.admitted", "name", "jobs")).isEqualTo(2);
    executor.shutdown();
  }

  @Test
  void poolGuardMetersCountRefusalsByReason() throws InterruptedException {
    ArrayDeque<String> idle = new ArrayDeque<>();
    PoolGuard<String> guard = PoolGuard.newBuilder(new PoolAdapter<String>() {
      @Override
      public String borrow(long timeoutNanos) {
        clock.advanceNanos(timeoutNanos);
        return idle.poll();
      }

      @Override
      public void giveBack(String resource) {
        idle.add(resource);
      }
    }).clock(clock).maxCheckouts(4).maxWait(Duration.ofMillis(30)).build();
    SluiceMeterBinder.poolGuard("db", guard).clock(clock).bindTo(registry);

    assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(1)))
        .isInstanceOf(AdmissionRejectedException.class);
    assertThat(counter("sluice.pool.rejected", "name", "db", "reason", "queue_timeout")).isEqualTo(1);
    assertThat(counter("sluice.pool.rejected", "name", "db", "reason", "deadline")).isZero();
    assertThat(gauge("sluice.pool.waiting", "name", "db")).isZero();
    clock.advanceNanos(60_000 * MS);
    assertThat(seconds("sluice.pool.wait.max", "name", "db"))
        .isCloseTo(0.030, org.assertj.core.data.Offset.offset(0.001));
    assertThat(gauge("sluice.limiter.limit", "name", "db")).isEqualTo(4);
  }

  @Test
  void theRegistryDoesNotKeepALimiterAlive() {
    WeakReference<Limiter> ref = bindAndForget();
    for (int i = 0; i < 50 && ref.get() != null; i++) {
      System.gc();
      byte[] garbage = new byte[1 << 20];
      assertThat(garbage).hasSize(1 << 20);
    }
    assertThat(ref.get()).as("limiter collected while its meters are registered").isNull();
    assertThat(registry.get("sluice.limiter.limit").gauge().value()).isNaN();
    // A function counter keeps its last value once its object is gone.
    assertThat(registry.get("sluice.limiter.admitted").functionCounter().count()).isZero();
  }

  private WeakReference<Limiter> bindAndForget() {
    Limiter limiter = Limiter.newBuilder().clock(clock).build();
    SluiceMeterBinder.limiter("gone", limiter).clock(clock).bindTo(registry);
    return new WeakReference<>(limiter);
  }

  @Test
  void meterTypesFollowMicrometerConventions() {
    Limiter limiter = Limiter.newBuilder().clock(clock).build();
    SluiceMeterBinder.limiter("types", limiter).bindTo(registry);
    assertThat(registry.get("sluice.limiter.admitted").meter()).isInstanceOf(FunctionCounter.class);
    assertThat(registry.get("sluice.limiter.limit").meter()).isInstanceOf(Gauge.class);
    assertThat(registry.get("sluice.limiter.retry.after").meter()).isInstanceOf(TimeGauge.class);
    assertThat(registry.get("sluice.limiter.retry.after").timeGauge().baseTimeUnit())
        .isEqualTo(TimeUnit.SECONDS);
    assertThatThrownBy(() -> SluiceMeterBinder.limiter("x", limiter).quantileStep(Duration.ZERO))
        .hasMessageStartingWith("quantileStep must be in [PT0.001S, PT1H]");
  }
}
