package io.sluice.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.metrics.DetectorState;
import io.sluice.metrics.LatencySnapshot;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.OverloadState;
import io.sluice.pool.PoolGuard;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Binds a limiter, an {@link AdmissionExecutor} or a {@link PoolGuard} (and optionally an
 * {@link OverloadMonitor}) to a Micrometer {@link MeterRegistry}.
 *
 * <pre>{@code
 * SluiceMeterBinder.executor("api", executor).overload(monitor).bindTo(registry);
 * }</pre>
 *
 * <h2>Meters</h2>
 * Every meter has the tag {@code name} (the name given here, to tell several guards apart) plus
 * any {@link #tags}. Counters are cumulative function counters; durations are in seconds. Tag
 * values are lower case: {@code reason="queue_timeout"}, {@code priority="sheddable"},
 * {@code outcome="dropped"}, {@code state="overloaded"}.
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>meter</th><th>type</th><th>tags</th></tr>
 *   <tr><td>sluice.limiter.limit, sluice.limiter.inflight</td><td>gauge (units)</td><td></td></tr>
 *   <tr><td>sluice.limiter.retry.after</td><td>time gauge</td><td></td></tr>
 *   <tr><td>sluice.limiter.admitted</td><td>counter</td><td></td></tr>
 *   <tr><td>sluice.limiter.completed</td><td>counter</td><td>outcome</td></tr>
 *   <tr><td>sluice.limiter.rejected</td><td>counter</td><td>reason, priority</td></tr>
 *   <tr><td>sluice.limiter.rejected.monitored</td><td>counter</td><td></td></tr>
 *   <tr><td>sluice.limiter.overload.level, sluice.limiter.overload.pressure</td>
 *       <td>gauge (with overload detectors only)</td><td>detector</td></tr>
 *   <tr><td>sluice.limiter.invalid.releases, sluice.limiter.invalid.samples,
 *       sluice.limiter.invalid.adjustments, sluice.limiter.windows</td>
 *       <td>counter</td><td></td></tr>
 *   <tr><td>sluice.limiter.rtt</td><td>function timer (count, total)</td><td></td></tr>
 *   <tr><td>sluice.limiter.rtt.histogram</td><td>counter</td><td>le</td></tr>
 *   <tr><td>sluice.executor.queued</td><td>gauge</td><td>priority</td></tr>
 *   <tr><td>sluice.executor.admitted</td><td>counter</td><td>priority</td></tr>
 *   <tr><td>sluice.executor.rejected, sluice.executor.shed</td><td>counter</td><td>reason, priority</td></tr>
 *   <tr><td>sluice.executor.completed</td><td>counter</td><td>outcome, priority</td></tr>
 *   <tr><td>sluice.executor.queue.wait</td><td>function timer</td><td>priority</td></tr>
 *   <tr><td>sluice.executor.queue.wait.histogram</td><td>counter</td><td>priority, le</td></tr>
 *   <tr><td>sluice.pool.rejected</td><td>counter</td><td>reason</td></tr>
 *   <tr><td>sluice.pool.waiting, sluice.pool.waiters</td><td>gauge</td><td></td></tr>
 *   <tr><td>sluice.pool.wait</td><td>function timer</td><td></td></tr>
 *   <tr><td>sluice.pool.wait.histogram</td><td>counter</td><td>le</td></tr>
 *   <tr><td>sluice.overload.state</td><td>gauge: 1 for the current state, 0 for the others</td><td>state</td></tr>
 *   <tr><td>sluice.overload.rejection.ratio</td><td>gauge</td><td></td></tr>
 * </table>
 * An executor or pool guard is bound with its limiter's meters. The limiter's rejections are
 * counted by reason ({@code limit_reached}, {@code priority_shed}) and by the priority the caller
 * gave; they count refused acquisitions, monitor-only (shadow mode) refusals included
 * ({@code sluice.limiter.rejected.monitored} of them were admitted all the same), and an
 * executor's attempts to admit queued work; the executor's count tasks. {@code sluice.pool.waiters}
 * counts the callers in the guard's line for a permit, {@code sluice.pool.waiting} the admitted
 * callers inside the pool's borrow.
 *
 * <h2>Latency distributions</h2>
 * Each distribution is exported as a cumulative histogram, the shape Prometheus calls a histogram:
 * a function timer with the count and total of the values since the guard was built, and one
 * counter per bucket bound {@code le} (in seconds) with the values below it, from 1024 ns doubling
 * up to about 69 s ({@link #BUCKET_BOUNDS_NANOS}), plus {@code le="+Inf"}. The bounds are boundaries
 * of Sluice's own buckets, so every count is exact. Being cumulative, the series can be summed
 * across instances and differenced over any range, and they hold data from the first scrape on:
 * <pre>
 * histogram_quantile(0.99, sum by (le) (rate(sluice_limiter_rtt_histogram_total[5m])))
 * </pre>
 * RTTs are sampled at high traffic (see {@link LimiterSnapshot}); every other count is exact.
 *
 * <h2>Reading</h2>
 * Every meter reads the guard through its public {@code snapshot()} ({@link Limiter#snapshot()},
 * {@link AdmissionExecutor#snapshot()}, {@link PoolGuard#snapshot()}) or its interface, when the
 * registry polls it: nothing is recorded on the guard's hot paths, and any implementation is bound
 * alike (a decorator that forwards {@code snapshot()} included). Meters hold the guard and the
 * monitor weakly (Micrometer's default for function-based meters), so binding never keeps them
 * alive: keep your own reference to them, as a server does. A meter of a collected guard reads NaN.
 *
 * <p>Thread-safety: configure on one thread, then call {@link #bindTo} (from any thread); the
 * meters may be read from any thread.
 */
public final class SluiceMeterBinder implements MeterBinder {
  /**
   * The upper bounds of the histogram buckets, in nanoseconds: 1024 ns times 2^k, k = 0..26
   * (about 1 us to 69 s). Values above the last bound count in {@code le="+Inf"} only.
   */
  public static final List<Long> BUCKET_BOUNDS_NANOS = bounds();

  private static final List<RejectReason> EXECUTOR_REJECTIONS = List.of(RejectReason.LIMIT_REACHED,
      RejectReason.QUEUE_FULL, RejectReason.DEADLINE, RejectReason.PRIORITY_SHED,
      RejectReason.SHUTDOWN);
  private static final List<RejectReason> EXECUTOR_SHEDS = List.of(RejectReason.QUEUE_TIMEOUT,
      RejectReason.DEADLINE, RejectReason.SHUTDOWN, RejectReason.QUEUE_FULL);
  private static final List<RejectReason> POOL_REJECTIONS = List.of(RejectReason.LIMIT_REACHED,
      RejectReason.PRIORITY_SHED, RejectReason.DEADLINE, RejectReason.QUEUE_TIMEOUT);
  private static final List<RejectReason> LIMITER_REJECTIONS =
      List.of(RejectReason.LIMIT_REACHED, RejectReason.PRIORITY_SHED);

  private final String name;
  private final Limiter limiter;
  private final AdmissionExecutor executor;
  private final PoolGuard<?> poolGuard;
  private Tags tags = Tags.empty();
  private OverloadMonitor monitor;

  private SluiceMeterBinder(String name, Limiter limiter, AdmissionExecutor executor,
      PoolGuard<?> poolGuard) {
    this.name = Objects.requireNonNull(name, "name");
    this.limiter = limiter;
    this.executor = executor;
    this.poolGuard = poolGuard;
  }

  private static List<Long> bounds() {
    Long[] bounds = new Long[27];
    for (int k = 0; k < bounds.length; k++) {
      bounds[k] = 1024L << k;
    }
    return List.of(bounds);
  }

  /** Returns a binder of a limiter: any implementation, read through its snapshot. */
  public static SluiceMeterBinder limiter(String name, Limiter limiter) {
    return new SluiceMeterBinder(name, Objects.requireNonNull(limiter, "limiter"), null, null);
  }

  /** Returns a binder of an executor and its limiter: any implementation. */
  public static SluiceMeterBinder executor(String name, AdmissionExecutor executor) {
    Objects.requireNonNull(executor, "executor");
    return new SluiceMeterBinder(name, executor.limiter(), executor, null);
  }

  /** Returns a binder of a pool guard and its limiter. */
  public static SluiceMeterBinder poolGuard(String name, PoolGuard<?> guard) {
    Objects.requireNonNull(guard, "guard");
    return new SluiceMeterBinder(name, guard.limiter(), null, guard);
  }

  /** Adds tags to every meter, besides {@code name}. */
  public SluiceMeterBinder tags(Iterable<Tag> extraTags) {
    this.tags = this.tags.and(Objects.requireNonNull(extraTags, "tags"));
    return this;
  }

  /** Also binds the {@code sluice.overload.*} gauges of a monitor; polling them evaluates it. */
  public SluiceMeterBinder overload(OverloadMonitor overloadMonitor) {
    this.monitor = Objects.requireNonNull(overloadMonitor, "monitor");
    return this;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    Tags base = tags.and("name", name);
    bindLimiter(registry, base);
    if (executor != null) {
      bindExecutor(registry, base);
    }
    if (poolGuard != null) {
      bindPoolGuard(registry, base);
    }
    if (monitor != null) {
      for (OverloadState s : OverloadState.values()) {
        Gauge.builder("sluice.overload.state", monitor, m -> m.evaluate().state() == s ? 1 : 0)
            .tags(base.and("state", tag(s)))
            .description("1 for the monitor's current state, 0 for the others")
            .register(registry);
      }
      Gauge.builder("sluice.overload.rejection.ratio", monitor, m -> m.evaluate().rejectionRatio())
          .tags(base).description("share of requests refused in the monitor's latest interval")
          .register(registry);
    }
  }

  private void bindLimiter(MeterRegistry registry, Tags base) {
    Limiter l = limiter;
    Gauge.builder("sluice.limiter.limit", l, Limiter::limit).tags(base)
        .description("concurrency limit in force, in units").register(registry);
    Gauge.builder("sluice.limiter.inflight", l, Limiter::inFlight).tags(base)
        .description("units held by admitted work").register(registry);
    TimeGauge.builder("sluice.limiter.retry.after", l, TimeUnit.NANOSECONDS,
            Limiter::retryAfterNanos)
        .tags(base).description("Retry-After estimate before jitter").register(registry);
    counter(registry, "sluice.limiter.admitted", base, l, x -> x.snapshot().admitted(),
        "permits issued");
    // Successes are derived (releases - drops - ignored); a release in progress may count as a
    // success for one read and as a drop in the next, so keep the counter from stepping back.
    AtomicLong successes = new AtomicLong();
    counter(registry, "sluice.limiter.completed", base.and("outcome", tag(Outcome.SUCCESS)), l,
        x -> successes.accumulateAndGet(x.snapshot().succeeded(), Math::max),
        "permits released, by outcome");
    counter(registry, "sluice.limiter.completed", base.and("outcome", tag(Outcome.DROPPED)), l,
        x -> x.snapshot().dropped(), "permits released, by outcome");
    counter(registry, "sluice.limiter.completed", base.and("outcome", tag(Outcome.IGNORED)), l,
        x -> x.snapshot().ignored(), "permits released, by outcome");
    for (RejectReason r : LIMITER_REJECTIONS) {
      for (Priority p : Priority.values()) {
        counter(registry, "sluice.limiter.rejected",
            base.and("reason", tag(r)).and("priority", tag(p)), l,
            x -> x.snapshot().rejected(r, p),
            "acquisitions refused, by reason and priority (monitor-only refusals included)");
      }
    }
    List<DetectorState> detectors = l.snapshot().detectors();
    if (!detectors.isEmpty()) {
      bindDetectors(registry, base, l, detectors);
    }
    counter(registry, "sluice.limiter.rejected.monitored", base, l,
        x -> x.snapshot().monitoredRejections(),
        "refusals a monitor-only limiter admitted all the same");
    counter(registry, "sluice.limiter.invalid.releases", base, l,
        x -> x.snapshot().invalidReleases(), "releases that changed nothing");
    counter(registry, "sluice.limiter.invalid.samples", base, l,
        x -> x.snapshot().invalidSamples(), "milestone samples that named no permit held");
    counter(registry, "sluice.limiter.invalid.adjustments", base, l,
        x -> x.snapshot().invalidAdjustments(), "cost adjustments that named no permit held");
    counter(registry, "sluice.limiter.windows", base, l, x -> x.snapshot().windowsClosed(),
        "windows closed (runs of the limit algorithm)");
    histogram(registry, "sluice.limiter.rtt", base, l, x -> x.snapshot().rtt(),
        "round-trip time of admitted work (sampled)");
  }

  /**
   * The meters of a limiter with overload detectors: its refusals for process overload, by
   * priority, and each detector's level (0 NONE, 1 ELEVATED, 2 SEVERE) and pressure, by name.
   */
  private static void bindDetectors(MeterRegistry registry, Tags base, Limiter l,
      List<DetectorState> detectors) {
    RejectReason overloaded = RejectReason.PROCESS_OVERLOADED;
    for (Priority p : Priority.values()) {
      counter(registry, "sluice.limiter.rejected",
          base.and("reason", tag(overloaded)).and("priority", tag(p)), l,
          x -> x.snapshot().rejected(overloaded, p),
          "acquisitions refused, by reason and priority (monitor-only refusals included)");
    }
    for (int i = 0; i < detectors.size(); i++) {
      int index = i;
      Tags t = base.and("detector", detectors.get(i).name());
      Gauge.builder("sluice.limiter.overload.level", l,
              x -> x.snapshot().detectors().get(index).level().ordinal())
          .tags(t).description("detector level: 0 none, 1 elevated, 2 severe").register(registry);
      Gauge.builder("sluice.limiter.overload.pressure", l,
              x -> x.snapshot().detectors().get(index).signal().pressure())
          .tags(t).description("detector reading over its SEVERE threshold").register(registry);
    }
  }

  private void bindExecutor(MeterRegistry registry, Tags base) {
    AdmissionExecutor e = executor;
    for (Priority p : Priority.values()) {
      Tags t = base.and("priority", tag(p));
      Gauge.builder("sluice.executor.queued", e, x -> x.queued(p)).tags(t)
          .description("tasks waiting in the queues").register(registry);
      counter(registry, "sluice.executor.admitted", t, e, x -> x.snapshot().admitted(p),
          "tasks handed to the wrapped executor with a permit");
      for (RejectReason r : EXECUTOR_REJECTIONS) {
        counter(registry, "sluice.executor.rejected", t.and("reason", tag(r)), e,
            x -> x.snapshot().rejected(r, p), "tasks refused at submission");
      }
      for (RejectReason r : EXECUTOR_SHEDS) {
        counter(registry, "sluice.executor.shed", t.and("reason", tag(r)), e,
            x -> x.snapshot().shed(r, p), "tasks accepted, then shed without running");
      }
      for (Outcome o : Outcome.values()) {
        counter(registry, "sluice.executor.completed", t.and("outcome", tag(o)), e,
            x -> x.snapshot().completed(o, p), "admitted tasks finished, by outcome");
      }
      histogram(registry, "sluice.executor.queue.wait", t, e,
          x -> x.snapshot().queueWait(p), "wait from submission to admission");
    }
  }

  private void bindPoolGuard(MeterRegistry registry, Tags base) {
    PoolGuard<?> g = poolGuard;
    for (RejectReason r : POOL_REJECTIONS) {
      counter(registry, "sluice.pool.rejected", base.and("reason", tag(r)), g,
          x -> x.snapshot().refused(r), "checkouts refused, by reason");
    }
    Gauge.builder("sluice.pool.waiting", g, x -> x.snapshot().waiting()).tags(base)
        .description("admitted callers waiting in the pool's borrow").register(registry);
    Gauge.builder("sluice.pool.waiters", g, x -> x.snapshot().waiters()).tags(base)
        .description("callers waiting in line for a permit").register(registry);
    histogram(registry, "sluice.pool.wait", base, g, x -> x.snapshot().borrowWait(),
        "time admitted callers waited in the pool's borrow");
  }

  private static <T> void counter(MeterRegistry registry, String meter, Tags tags, T source,
      ToDoubleFunction<T> count, String description) {
    FunctionCounter.builder(meter, source, count).tags(tags).description(description)
        .register(registry);
  }

  private static <T> void histogram(MeterRegistry registry, String meter, Tags tags, T source,
      Function<T, LatencySnapshot> read, String description) {
    FunctionTimer.builder(meter, source, x -> read.apply(x).count(),
            x -> read.apply(x).totalNanos(), TimeUnit.NANOSECONDS)
        .tags(tags).description(description + ", since the guard was built").register(registry);
    String buckets = description + ": values below le seconds, since the guard was built";
    for (long bound : BUCKET_BOUNDS_NANOS) {
      counter(registry, meter + ".histogram", tags.and("le", seconds(bound)), source,
          x -> read.apply(x).countBelow(bound), buckets);
    }
    counter(registry, meter + ".histogram", tags.and("le", "+Inf"), source,
        x -> read.apply(x).count(), buckets);
  }

  /** Returns a bound in seconds as an exact decimal: 1024 ns is "0.000001024". */
  private static String seconds(long nanos) {
    return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
  }

  private static String tag(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "SluiceMeterBinder[" + name + "]";
  }
}
