package io.sluice.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.detector.OverloadDetector;
import io.sluice.detector.OverloadLevel;
import io.sluice.detector.OverloadSignal;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import io.sluice.testing.ManualClock;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
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

  private double bucket(String name, String le, String... tags) {
    return registry.get(name + ".histogram").tags(tags).tag("le", le).functionCounter().count();
  }

  @Test
  void limiterMetersReadExactlyWhatHappened() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(3))
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 3).retryAfterJitter(0).build();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock)
        .rejectionRatio(0.05, Duration.ZERO).minRequests(1).build();
    SluiceMeterBinder.limiter("api", limiter).tags(Tags.of("zone", "a")).overload(monitor)
        .bindTo(registry);

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
    // The window's median round-trip time, 20 ms, to the histogram's precision (1/16 octave).
    assertThat(seconds("sluice.limiter.retry.after", "name", "api"))
        .isEqualTo(limiter.retryAfterNanos() / 1e9)
        .isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.02 / 16));
    assertThat(counter("sluice.limiter.admitted", "name", "api")).isEqualTo(4);
    assertThat(counter("sluice.limiter.completed", "name", "api", "outcome", "success")).isEqualTo(2);
    assertThat(counter("sluice.limiter.completed", "name", "api", "outcome", "dropped")).isEqualTo(1);
    assertThat(counter("sluice.limiter.completed", "name", "api", "outcome", "ignored")).isEqualTo(1);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "limit_reached",
        "priority", "critical")).isEqualTo(1);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "priority_shed",
        "priority", "sheddable")).isZero();
    assertThat(counter("sluice.limiter.rejected.monitored", "name", "api")).isZero();
    assertThat(counter("sluice.limiter.invalid.releases", "name", "api")).isEqualTo(1);
    assertThat(counter("sluice.limiter.windows", "name", "api")).isEqualTo(1);

    // The distribution is cumulative: the two 20 ms samples are there at once, no step to wait.
    FunctionTimer rtt = registry.get("sluice.limiter.rtt").tags("name", "api").functionTimer();
    assertThat(rtt.count()).isEqualTo(2);
    assertThat(rtt.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(40);
    // 20 ms lies in [16.8 ms, 33.6 ms): below the bound 1024 ns * 2^15, not below 2^14.
    assertThat(bucket("sluice.limiter.rtt", "0.016777216", "name", "api")).isZero();
    assertThat(bucket("sluice.limiter.rtt", "0.033554432", "name", "api")).isEqualTo(2);
    assertThat(bucket("sluice.limiter.rtt", "+Inf", "name", "api")).isEqualTo(2);
    assertThat(registry.get("sluice.limiter.rtt.histogram").tags("name", "api").functionCounters())
        .hasSize(SluiceMeterBinder.BUCKET_BOUNDS_NANOS.size() + 1);

    // The monitor's 10 s interval ends: 1 rejected of 5 requests, sustain 0: OVERLOADED.
    clock.advanceNanos(10_000 * MS);
    assertThat(gauge("sluice.overload.state", "name", "api", "state", "overloaded")).isEqualTo(1);
    assertThat(gauge("sluice.overload.state", "name", "api", "state", "degraded")).isZero();
    assertThat(gauge("sluice.overload.state", "name", "api", "state", "ok")).isZero();
    assertThat(gauge("sluice.overload.rejection.ratio", "name", "api")).isEqualTo(0.2);
  }

  @Test
  void executorMetersCountTasksByPriorityReasonAndOutcome() {
    ArrayDeque<Runnable> workers = new ArrayDeque<>();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers::add).clock(clock)
        .limiter(Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build())
        .queueCapacity(1).build();
    SluiceMeterBinder.executor("jobs", executor).bindTo(registry);

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
    // The queued task waited 5 ms, in [4.2 ms, 8.4 ms); the critical one was admitted at once.
    assertThat(bucket("sluice.executor.queue.wait", "0.004194304", "priority", "sheddable")).isZero();
    assertThat(bucket("sluice.executor.queue.wait", "0.008388608", "priority", "sheddable"))
        .isEqualTo(1);
    assertThat(bucket("sluice.executor.queue.wait", "0.000001024", "priority", "critical"))
        .isEqualTo(1);
    assertThat(registry.get("sluice.executor.queue.wait").tags("priority", "sheddable")
        .functionTimer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(5);
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
    SluiceMeterBinder.poolGuard("db", guard).bindTo(registry);

    assertThatThrownBy(() -> guard.acquire(Duration.ofSeconds(1)))
        .isInstanceOf(AdmissionRejectedException.class);
    assertThat(counter("sluice.pool.rejected", "name", "db", "reason", "queue_timeout")).isEqualTo(1);
    assertThat(counter("sluice.pool.rejected", "name", "db", "reason", "deadline")).isZero();
    assertThat(gauge("sluice.pool.waiting", "name", "db")).isZero();
    assertThat(gauge("sluice.pool.waiters", "name", "db")).isZero();
    // The refused caller waited the 30 ms maxWait in the pool's borrow.
    assertThat(registry.get("sluice.pool.wait").tags("name", "db").functionTimer()
        .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(30);
    assertThat(bucket("sluice.pool.wait", "0.033554432", "name", "db")).isEqualTo(1);
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
    SluiceMeterBinder.limiter("gone", limiter).bindTo(registry);
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
    assertThat(registry.get("sluice.limiter.rtt").meter()).isInstanceOf(FunctionTimer.class);
    assertThat(registry.get("sluice.limiter.rtt.histogram").meter())
        .isInstanceOf(FunctionCounter.class);
  }

  @Test
  void prometheusGetsAHistogramItCanAggregateAndOneSeriesPerState() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(2))
        .window(Duration.ofMillis(100), Duration.ofSeconds(1), 1).build();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(limiter).clock(clock).build();
    SluiceMeterBinder.limiter("api", limiter).overload(monitor).bindTo(prometheus);
    clock.advanceNanos(100 * MS);
    long permit = limiter.tryAcquire();
    clock.advanceNanos(3 * MS);
    limiter.release(permit, Outcome.SUCCESS);   // one sample of 3 ms closes the window

    List<String> scrape = prometheus.scrape().lines().toList();
    assertThat(scrape).contains(
        "sluice_limiter_rtt_seconds_count{name=\"api\"} 1",
        "sluice_limiter_rtt_seconds_sum{name=\"api\"} 0.003",
        "sluice_limiter_rtt_histogram_total{le=\"0.002097152\",name=\"api\"} 0.0",
        "sluice_limiter_rtt_histogram_total{le=\"0.004194304\",name=\"api\"} 1.0",
        "sluice_limiter_rtt_histogram_total{le=\"+Inf\",name=\"api\"} 1.0",
        "sluice_overload_state{name=\"api\",state=\"ok\"} 1.0",
        "sluice_overload_state{name=\"api\",state=\"degraded\"} 0.0",
        "sluice_overload_state{name=\"api\",state=\"overloaded\"} 0.0");
    // Cumulative: the count below each bound never falls as the bound grows.
    double previous = 0;
    for (long bound : SluiceMeterBinder.BUCKET_BOUNDS_NANOS) {
      double below = prometheus.get("sluice.limiter.rtt.histogram")
          .tag("le", java.math.BigDecimal.valueOf(bound, 9).stripTrailingZeros().toPlainString())
          .functionCounter().count();
      assertThat(below).isGreaterThanOrEqualTo(previous);
      previous = below;
    }
  }

  @Test
  void aDecoratedLimiterIsBoundAsItsDelegateWithRejectionsByReasonAndPriority() {
    Limiter delegate = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(10)).build();
    Limiter decorated = new Decorator(delegate);
    OverloadMonitor monitor = OverloadMonitor.newBuilder(decorated).clock(clock)
        .rejectionRatio(0.05, Duration.ZERO).minRequests(1).build();
    SluiceMeterBinder.limiter("api", decorated).overload(monitor).bindTo(registry);

    // Ten CRITICAL_PLUS permits fill the limit; one more is refused and puts the shares in force.
    long[] held = new long[10];
    for (int i = 0; i < held.length; i++) {
      held[i] = decorated.tryAcquire(1, Priority.CRITICAL_PLUS);
    }
    decorated.tryAcquire(1, Priority.CRITICAL_PLUS);
    decorated.release(held[0], Outcome.SUCCESS);
    decorated.tryAcquire(1, Priority.SHEDDABLE);   // 10 > its share of 7: PRIORITY_SHED
    decorated.tryAcquire(1, Priority.SHEDDABLE);

    assertThat(counter("sluice.limiter.admitted", "name", "api")).isEqualTo(10);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "limit_reached",
        "priority", "critical_plus")).isEqualTo(1);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "priority_shed",
        "priority", "sheddable")).isEqualTo(2);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "limit_reached",
        "priority", "sheddable")).isZero();
    assertThat(gauge("sluice.limiter.inflight", "name", "api")).isEqualTo(9);
    clock.advanceNanos(10_000 * MS);
    assertThat(gauge("sluice.overload.rejection.ratio", "name", "api")).isEqualTo(3.0 / 13);
  }

  /** A user's decorator of the built-in limiter: it forwards every method, snapshot() included. */
  private static final class Decorator implements Limiter {
    private final Limiter delegate;

    Decorator(Limiter delegate) {
      this.delegate = delegate;
    }

    @Override
    public long tryAcquire() {
      return delegate.tryAcquire();
    }

    @Override
    public long tryAcquire(int cost) {
      return delegate.tryAcquire(cost);
    }

    @Override
    public long tryAcquire(int cost, Priority priority) {
      return delegate.tryAcquire(cost, priority);
    }

    @Override
    public boolean release(long permit, Outcome outcome) {
      return delegate.release(permit, outcome);
    }

    @Override
    public int limit() {
      return delegate.limit();
    }

    @Override
    public int inFlight() {
      return delegate.inFlight();
    }

    @Override
    public long retryAfterNanos() {
      return delegate.retryAfterNanos();
    }

    @Override
    public LimiterSnapshot snapshot() {
      return delegate.snapshot();
    }
  }

  /** A detector whose reading the test sets. */
  static final class SetDetector implements OverloadDetector {
    private final String name;
    volatile OverloadSignal signal = OverloadSignal.none(0L);

    SetDetector(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public OverloadSignal signal() {
      return signal;
    }

    @Override
    public void start() {}

    @Override
    public void close() {}
  }

  @Test
  void detectorsGetTheirLevelAndPressureAndOverloadRefusalsTheirReason() {
    SetDetector heartbeat = new SetDetector("heartbeat");
    SetDetector gc = new SetDetector("gc");
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1))
        .detectors(heartbeat, gc).build();
    SluiceMeterBinder.limiter("api", limiter).bindTo(registry);
    long held = limiter.tryAcquire();
    assertThat(Ticket.isRejection(limiter.tryAcquire())).isTrue();   // limit reached
    gc.signal = new OverloadSignal(OverloadLevel.SEVERE, 1.25, 0.4, 0L);
    assertThat(Ticket.reason(limiter.tryAcquire(1, Priority.SHEDDABLE)))
        .isEqualTo(RejectReason.PROCESS_OVERLOADED);
    assertThat(Ticket.reason(limiter.tryAcquire(1, Priority.SHEDDABLE)))
        .isEqualTo(RejectReason.PROCESS_OVERLOADED);

    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "limit_reached",
        "priority", "critical")).isEqualTo(1);
    assertThat(counter("sluice.limiter.rejected", "name", "api", "reason", "process_overloaded",
        "priority", "sheddable")).isEqualTo(2);
    assertThat(gauge("sluice.limiter.overload.level", "name", "api", "detector", "gc"))
        .isEqualTo(2);
    assertThat(gauge("sluice.limiter.overload.pressure", "name", "api", "detector", "gc"))
        .isEqualTo(1.25);
    assertThat(gauge("sluice.limiter.overload.level", "name", "api", "detector", "heartbeat"))
        .isZero();
    gc.signal = OverloadSignal.none(0L);
    assertThat(gauge("sluice.limiter.overload.level", "name", "api", "detector", "gc")).isZero();
    limiter.release(held, Outcome.SUCCESS);
  }

  @Test
  void aLimiterWithoutDetectorsHasNoDetectorMeters() {
    Limiter limiter = Limiter.newBuilder().clock(clock).algorithm(FixedLimit.of(1)).build();
    SluiceMeterBinder.limiter("api", limiter).bindTo(registry);
    assertThat(registry.find("sluice.limiter.overload.level").gauges()).isEmpty();
    assertThat(registry.find("sluice.limiter.rejected").tag("reason", "process_overloaded")
        .functionCounters()).isEmpty();
  }
}
