package io.sluice.metrics.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.sluice.Limiter;
import io.sluice.ManualClock;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.internal.Args;
import io.sluice.internal.ExecutorProbe;
import io.sluice.internal.LimiterProbe;
import io.sluice.internal.ProbeAccess;
import io.sluice.metrics.ExecutorSnapshot;
import io.sluice.metrics.LatencySnapshot;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.PoolGuardSnapshot;
import io.sluice.pool.PoolGuard;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
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
 * {@code outcome="dropped"}.
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>meter</th><th>type</th><th>tags</th></tr>
 *   <tr><td>sluice.limiter.limit, sluice.limiter.inflight</td><td>gauge (units)</td><td></td></tr>
 *   <tr><td>sluice.limiter.retry.after</td><td>time gauge</td><td></td></tr>
 *   <tr><td>sluice.limiter.admitted</td><td>counter</td><td></td></tr>
 *   <tr><td>sluice.limiter.completed</td><td>counter</td><td>outcome</td></tr>
 *   <tr><td>sluice.limiter.rejected</td><td>counter</td><td>reason</td></tr>
 *   <tr><td>sluice.limiter.invalid.releases, sluice.limiter.windows</td><td>counter</td><td></td></tr>
 *   <tr><td>sluice.limiter.rtt</td><td>time gauge</td><td>quantile (0.5, 0.9, 0.99)</td></tr>
 *   <tr><td>sluice.limiter.rtt.max</td><td>time gauge</td><td></td></tr>
 *   <tr><td>sluice.executor.queued</td><td>gauge</td><td>priority</td></tr>
 *   <tr><td>sluice.executor.admitted</td><td>counter</td><td>priority</td></tr>
 *   <tr><td>sluice.executor.rejected, sluice.executor.shed</td><td>counter</td><td>reason, priority</td></tr>
 *   <tr><td>sluice.executor.completed</td><td>counter</td><td>outcome, priority</td></tr>
 *   <tr><td>sluice.executor.queue.wait</td><td>time gauge</td><td>priority, quantile</td></tr>
 *   <tr><td>sluice.executor.queue.wait.max</td><td>time gauge</td><td>priority</td></tr>
 *   <tr><td>sluice.pool.rejected</td><td>counter</td><td>reason</td></tr>
 *   <tr><td>sluice.pool.waiting</td><td>gauge</td><td></td></tr>
 *   <tr><td>sluice.pool.wait</td><td>time gauge</td><td>quantile</td></tr>
 *   <tr><td>sluice.pool.wait.max</td><td>time gauge</td><td></td></tr>
 *   <tr><td>sluice.overload.state</td><td>gauge: 0 OK, 1 DEGRADED, 2 OVERLOADED</td><td></td></tr>
 *   <tr><td>sluice.overload.rejection.ratio</td><td>gauge</td><td></td></tr>
 * </table>
 * An executor or pool guard is bound with its limiter's meters. The limiter's meters have no
 * priority tag: a limiter does not know priorities (its rejections count refused acquisitions,
 * including an executor's attempts to admit queued work; the executor's count tasks).
 *
 * <h2>Latency quantiles</h2>
 * The quantile and max gauges show the distribution recorded during the last completed
 * {@link #quantileStep} (default 1 minute), so all the gauges of a scrape agree and scrapes do not
 * consume each other's data; before the first step ends they read 0. RTTs are sampled at high
 * traffic (see {@link LimiterSnapshot}); every counter is exact.
 *
 * <h2>References</h2>
 * Meters hold the guard and the monitor weakly (Micrometer's default for function-based meters),
 * so binding never keeps them alive: keep your own reference to them, as a server does. A meter of
 * a collected guard reads NaN.
 *
 * <p>This is the only package of Sluice that uses Micrometer; the rest works without it on the
 * class path. Configure on one thread, then call {@link #bindTo} (from any thread).
 */
// Micrometer's types in this API are not re-exported (requires static, not transitive): whoever
// binds has Micrometer and requires it already.
@SuppressWarnings("exports")
public final class SluiceMeterBinder implements MeterBinder {
  private static final double[] QUANTILES = {0.5, 0.9, 0.99};
  private static final List<RejectReason> EXECUTOR_REJECTIONS = List.of(RejectReason.LIMIT_REACHED,
      RejectReason.QUEUE_FULL, RejectReason.DEADLINE, RejectReason.PRIORITY_SHED,
      RejectReason.SHUTDOWN);
  private static final List<RejectReason> EXECUTOR_SHEDS = List.of(RejectReason.QUEUE_TIMEOUT,
      RejectReason.DEADLINE, RejectReason.SHUTDOWN, RejectReason.QUEUE_FULL);
  private static final List<RejectReason> POOL_REJECTIONS = List.of(RejectReason.LIMIT_REACHED,
      RejectReason.DEADLINE, RejectReason.QUEUE_TIMEOUT);

  private final String name;
  private final Limiter limiter;
  private final AdmissionExecutor executor;
  private final PoolGuard<?> poolGuard;
  private Tags tags = Tags.empty();
  private OverloadMonitor monitor;
  private NanoClock clock = NanoClock.system();
  private long stepNanos = Duration.ofMinutes(1).toNanos();

  private SluiceMeterBinder(String name, Limiter limiter, AdmissionExecutor executor,
      PoolGuard<?> poolGuard) {
    this.name = Args.notNull("name", name);
    this.limiter = limiter;
    this.executor = executor;
    this.poolGuard = poolGuard;
    LimiterSnapshot.of(limiter); // fails now, not at the first scrape, for another implementation
  }

  /**
   * Returns a binder of a limiter built by {@link Limiter#newBuilder()}.
   *
   * @throws IllegalArgumentException if the limiter is another implementation
   */
  public static SluiceMeterBinder limiter(String name, Limiter limiter) {
    return new SluiceMeterBinder(name, limiter, null, null);
  }

  /**
   * Returns a binder of an executor built by {@link AdmissionExecutor#newBuilder} and its limiter.
   *
   * @throws IllegalArgumentException if the executor or its limiter is another implementation
   */
  public static SluiceMeterBinder executor(String name, AdmissionExecutor executor) {
    ExecutorSnapshot.of(executor);
    return new SluiceMeterBinder(name, executor.limiter(), executor, null);
  }

  /**
   * Returns a binder of a pool guard and its limiter.
   *
   * @throws IllegalArgumentException if the guard's limiter is not built by {@link Limiter#newBuilder()}
   */
  public static SluiceMeterBinder poolGuard(String name, PoolGuard<?> guard) {
    PoolGuardSnapshot.of(guard);
    return new SluiceMeterBinder(name, guard.limiter(), null, guard);
  }

  /** Adds tags to every meter, besides {@code name}. */
  public SluiceMeterBinder tags(Iterable<Tag> extraTags) {
    this.tags = this.tags.and(Args.notNull("tags", extraTags));
    return this;
  }

  /** Also binds the {@code sluice.overload.*} gauges of a monitor; polling them evaluates it. */
  public SluiceMeterBinder overload(OverloadMonitor overloadMonitor) {
    this.monitor = Args.notNull("monitor", overloadMonitor);
    return this;
  }

  /**
   * Sets the step of the latency quantile gauges.
   *
   * @param step in [1 ms, 1 h]
   */
  public SluiceMeterBinder quantileStep(Duration step) {
    this.stepNanos = Args.nanosInRange("quantileStep", step, Duration.ofMillis(1), Duration.ofHours(1));
    return this;
  }

  /** Sets the clock of the quantile step; tests pass a {@link ManualClock}. */
  public SluiceMeterBinder clock(NanoClock stepClock) {
    this.clock = Args.notNull("clock", stepClock);
    return this;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Args.notNull("registry", registry);
    Tags base = tags.and("name", name);
    bindLimiter(registry, base);
    if (executor != null) {
      bindExecutor(registry, base);
    }
    if (poolGuard != null) {
      bindPoolGuard(registry, base);
    }
    if (monitor != null) {
      Gauge.builder("sluice.overload.state", monitor, m -> m.evaluate().state().ordinal())
          .tags(base).description("0 OK, 1 DEGRADED, 2 OVERLOADED (see OverloadMonitor)")
          .register(registry);
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
    counter(registry, "sluice.limiter.admitted", base, l, x -> probe(x).admitted(),
        "permits issued");
    // Successes are derived (releases - drops - ignored); a release in progress may count as a
    // success for one read and as a drop in the next, so keep the counter from stepping back.
    AtomicLong successes = new AtomicLong();
    counter(registry, "sluice.limiter.completed", base.and("outcome", tag(Outcome.SUCCESS)), l,
        x -> successes.accumulateAndGet(LimiterSnapshot.of(x).succeeded(), Math::max),
        "permits released, by outcome");
    counter(registry, "sluice.limiter.completed", base.and("outcome", tag(Outcome.DROPPED)), l,
        x -> probe(x).drops(), "permits released, by outcome");
    counter(registry, "sluice.limiter.completed", base.and("outcome", tag(Outcome.IGNORED)), l,
        x -> probe(x).ignoredReleases(), "permits released, by outcome");
    counter(registry, "sluice.limiter.rejected",
        base.and("reason", tag(RejectReason.LIMIT_REACHED)), l, Limiter::rejections,
        "acquisitions refused, by reason");
    counter(registry, "sluice.limiter.invalid.releases", base, l, Limiter::invalidReleases,
        "releases that changed nothing");
    counter(registry, "sluice.limiter.windows", base, l, Limiter::windowsClosed,
        "windows closed (runs of the limit algorithm)");
    latency(registry, "sluice.limiter.rtt", base, l, x -> LimiterSnapshot.of(x).rtt(),
        "round-trip time of admitted work (sampled), last step");
  }

  private void bindExecutor(MeterRegistry registry, Tags base) {
    AdmissionExecutor e = executor;
    for (Priority p : Priority.values()) {
      int level = p.ordinal();
      Tags t = base.and("priority", tag(p));
      Gauge.builder("sluice.executor.queued", e, x -> x.queued(p)).tags(t)
          .description("tasks waiting in the queues").register(registry);
      counter(registry, "sluice.executor.admitted", t, e, x -> probe(x).admitted(level),
          "tasks handed to the wrapped executor with a permit");
      for (RejectReason r : EXECUTOR_REJECTIONS) {
        counter(registry, "sluice.executor.rejected", t.and("reason", tag(r)), e,
            x -> probe(x).refused(r.ordinal(), level), "tasks refused at submission");
      }
      for (RejectReason r : EXECUTOR_SHEDS) {
        counter(registry, "sluice.executor.shed", t.and("reason", tag(r)), e,
            x -> probe(x).shed(r.ordinal(), level), "tasks accepted, then shed without running");
      }
      for (Outcome o : Outcome.values()) {
        counter(registry, "sluice.executor.completed", t.and("outcome", tag(o)), e,
            x -> probe(x).completed(o.ordinal(), level), "admitted tasks finished, by outcome");
      }
      latency(registry, "sluice.executor.queue.wait", t, e,
          x -> ExecutorSnapshot.of(x).queueWait(p), "wait from submission to admission, last step");
    }
  }

  private void bindPoolGuard(MeterRegistry registry, Tags base) {
    PoolGuard<?> g = poolGuard;
    for (RejectReason r : POOL_REJECTIONS) {
      counter(registry, "sluice.pool.rejected", base.and("reason", tag(r)), g,
          x -> ProbeAccess.poolGuard(x).refused(r.ordinal()), "checkouts refused, by reason");
    }
    Gauge.builder("sluice.pool.waiting", g, x -> ProbeAccess.poolGuard(x).waiting()).tags(base)
        .description("admitted callers waiting in the pool's borrow").register(registry);
    latency(registry, "sluice.pool.wait", base, g, x -> PoolGuardSnapshot.of(x).borrowWait(),
        "time admitted callers waited in the pool's borrow, last step");
  }

  private static <T> void counter(MeterRegistry registry, String meter, Tags tags, T source,
      ToDoubleFunction<T> count, String description) {
    FunctionCounter.builder(meter, source, count).tags(tags).description(description)
        .register(registry);
  }

  private <T> void latency(MeterRegistry registry, String meter, Tags tags, T source,
      Function<T, LatencySnapshot> cumulative, String description) {
    LatencyStep step = new LatencyStep(clock, stepNanos, cumulative.apply(source));
    for (double q : QUANTILES) {
      TimeGauge.builder(meter, source, TimeUnit.NANOSECONDS,
              x -> step.interval(x, cumulative).valueAtQuantile(q))
          .tags(tags.and("quantile", Double.toString(q))).description(description)
          .register(registry);
    }
    TimeGauge.builder(meter + ".max", source, TimeUnit.NANOSECONDS,
            x -> step.interval(x, cumulative).maxNanos())
        .tags(tags).description(description).register(registry);
  }

  private static LimiterProbe probe(Limiter l) {
    return (LimiterProbe) l;
  }

  private static ExecutorProbe probe(AdmissionExecutor e) {
    return (ExecutorProbe) e;
  }

  private static String tag(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "SluiceMeterBinder[" + name + "]";
  }
}
