package io.sluice.detector;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.internal.Args;
import io.sluice.pool.PoolGuard;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/*
 * Standing queue, after CoDel: a queue that empties at some moment of the window is absorbing a
 * burst; one that never empties is a backlog the workers do not catch up with. Each sample pushes
 * the waiting count; once the window is full, its minimum is the standing queue. The value divides
 * it by the busy workers of the latest sample: the rounds of work that never drained, each of
 * which adds a service time to every queued task's latency.
 */
/**
 * Detects a saturated pool: every worker (or resource) busy and a queue that stands, that is, does
 * not empty once during the whole window. Adapts a {@link ThreadPoolExecutor}, a {@link PoolGuard}
 * or any {@link PoolGauge}.
 *
 * <p>ELEVATED when a queue stood through the window; SEVERE when the standing queue is at least
 * {@code severe} rounds of work (by default one: as many waiting as working, so every new task
 * waits at least one service time). The {@linkplain OverloadSignal#value() value} is the standing
 * queue in rounds: its smallest length during the window over the busy workers. A window must pass
 * after the start before the detector can read anything but NONE.
 *
 * <ul>
 *   <li>{@link #newBuilder(ThreadPoolExecutor)}: busy is {@code getActiveCount()}; waiting is the
 *       queue's size. Idle threads take queued tasks at once, so a queue that stands means every
 *       thread is busy, whatever the configuration (with an unbounded queue the executor never
 *       grows past its core size, so its "max" is {@code corePoolSize}, not
 *       {@code maximumPoolSize}). Of a {@link ScheduledThreadPoolExecutor}'s queue only the tasks
 *       already due count.
 *   <li>{@link #newBuilder(PoolGuard)}: busy is the checkouts holding a resource; waiting is the
 *       admitted callers waiting inside the pool's borrow, which happens only when the pool has no
 *       free resource (or while a fast borrow runs: at very high checkout rates, raise
 *       {@code elevated} above 0). Callers beyond the guard's limit are refused at once and never
 *       wait; watch those with {@code io.sluice.metrics.OverloadMonitor}.
 * </ul>
 *
 * <p>Cost: one thread that wakes every period (10 times a second by default) and reads the gauge;
 * an executor's {@code getActiveCount()} takes its main lock briefly, and a scheduled executor's
 * queue is copied.
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th></tr>
 *   <tr><td>{@link Builder#period}</td><td>100 ms</td><td>[1 ms, 1 min]</td></tr>
 *   <tr><td>{@link Builder#window}</td><td>1 s</td>
 *       <td>[period, 10000 periods], at most 1 h</td></tr>
 *   <tr><td>{@link Builder#thresholds} ELEVATED / SEVERE</td><td>any standing queue / 1 round</td>
 *       <td>[0, 1000], elevated &le; severe, severe &gt; 0</td></tr>
 * </table>
 *
 * <p>Thread-safe: see {@link OverloadDetector}.
 */
public final class PoolSaturationDetector implements OverloadDetector {
  private final Sampler sampler;
  private final StandingQueue queue;

  private PoolSaturationDetector(Builder b) {
    Thresholds thresholds = new Thresholds(b.elevated, b.severe);
    this.queue = new StandingQueue(b.gauge, b.settings.slots(), thresholds);
    this.sampler = b.settings.sampler(queue);
  }

  /** Returns a builder for a detector of any pool that {@code gauge} reads. */
  public static Builder newBuilder(PoolGauge gauge) {
    return new Builder(Args.notNull("gauge", gauge));
  }

  /** Returns a builder for a detector of a thread pool; see the class documentation. */
  public static Builder newBuilder(ThreadPoolExecutor executor) {
    return new Builder(new ExecutorGauge(Args.notNull("executor", executor)));
  }

  /** Returns a builder for a detector of the pool behind a guard; see the class documentation. */
  public static Builder newBuilder(PoolGuard<?> guard) {
    return new Builder(new GuardGauge(Args.notNull("guard", guard)));
  }

  @Override
  public String name() {
    return sampler.name();
  }

  @Override
  public OverloadSignal signal() {
    return sampler.signal();
  }

  @Override
  public boolean watch(Runnable onChange) {
    Args.notNull("onChange", onChange);
    sampler.watch(onChange);
    return true;
  }

  @Override
  public void start() {
    sampler.start();
  }

  @Override
  public void close() {
    sampler.close();
  }

  /** The sampler, for tests that drive it in virtual time. */
  Sampler sampler() {
    return sampler;
  }

  @Override
  public String toString() {
    return "PoolSaturationDetector[" + sampler + ", " + queue.thresholds + " rounds]";
  }

  /** The window of waiting counts; state owned by the sampling thread. */
  private static final class StandingQueue implements Sampler.Probe {
    final PoolGauge gauge;
    final LongRing waiting;
    final Thresholds thresholds;

    StandingQueue(PoolGauge gauge, int slots, Thresholds thresholds) {
      this.gauge = gauge;
      this.waiting = new LongRing(slots);
      this.thresholds = thresholds;
    }

    @Override
    public OverloadSignal sample(long sleptFromNanos, long nowNanos) {
      waiting.push(Math.max(0, gauge.waiting()));
      if (!waiting.full()) {
        return OverloadSignal.none(nowNanos);
      }
      double rounds = waiting.min() / (double) Math.max(1, gauge.busy());
      return thresholds.judge(rounds, nowNanos);
    }
  }

  /** Reads a thread pool; each call is a separate reading of the executor. */
  static final class ExecutorGauge implements PoolGauge {
    private final ThreadPoolExecutor executor;

    ExecutorGauge(ThreadPoolExecutor executor) {
      this.executor = executor;
    }

    @Override
    public int busy() {
      return executor.getActiveCount();
    }

    @Override
    public int waiting() {
      BlockingQueue<Runnable> queue = executor.getQueue();
      if (!(executor instanceof ScheduledThreadPoolExecutor)) {
        return queue.size();
      }
      // A scheduled executor's queue holds every task until its time comes: only those already
      // due wait for a thread. The iterator works on a copy of the queue.
      int due = 0;
      for (Runnable task : queue) {
        if (task instanceof Delayed && ((Delayed) task).getDelay(TimeUnit.NANOSECONDS) <= 0) {
          due++;
        }
      }
      return due;
    }
  }

  /**
   * Reads a guard through its public snapshot: its limiter's in-flight checkouts and the callers
   * waiting in the pool. Each call takes a snapshot (it allocates), a few per sampling period.
   */
  static final class GuardGauge implements PoolGauge {
    private final PoolGuard<?> guard;
    private final Limiter limiter;

    GuardGauge(PoolGuard<?> guard) {
      this.guard = guard;
      this.limiter = guard.limiter();
    }

    @Override
    public int busy() {
      // In flight counts the callers still waiting for a resource too.
      return Math.max(0, limiter.inFlight() - guard.snapshot().waiting());
    }

    @Override
    public int waiting() {
      return guard.snapshot().waiting();
    }
  }

  /**
   * Configures a {@link PoolSaturationDetector}. Every setter checks its arguments and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range. Not
   * thread-safe.
   */
  public static final class Builder {
    private static final double MAX_ROUNDS = 1000.0;

    private final PoolGauge gauge;
    private final Settings settings =
        new Settings("pool", Duration.ofMillis(100), Duration.ofSeconds(1));
    private double elevated = 0.0;
    private double severe = 1.0;

    private Builder(PoolGauge gauge) {
      this.gauge = gauge;
    }

    /**
     * Sets the name in metrics and health output and in the thread's name; default "pool". Name
     * each pool when there are several.
     */
    public Builder name(String name) {
      settings.name(name);
      return this;
    }

    /**
     * Sets how often the pool is read: the queue must be seen non-empty at every reading.
     *
     * @param period in [1 ms, 1 min]
     */
    public Builder period(Duration period) {
      settings.period(period);
      return this;
    }

    /**
     * Sets how long a queue must stand before it counts.
     *
     * @param window in [period, 10000 periods], at most 1 h
     */
    public Builder window(Duration window) {
      settings.window(window);
      return this;
    }

    /**
     * Sets the standing queue, in rounds of work (waiting over busy), at which the detector reads
     * ELEVATED (any standing queue at 0) and SEVERE.
     *
     * @param elevated in [0, 1000]
     * @param severe in [elevated, 1000], above 0
     */
    public Builder thresholds(double elevated, double severe) {
      double e = Args.inRange("elevated", elevated, 0.0, MAX_ROUNDS);
      Args.inOpenClosed("severe", severe, 0.0, MAX_ROUNDS);
      double s = Args.inRange("severe", severe, e, MAX_ROUNDS);
      this.elevated = e;
      this.severe = s;
      return this;
    }

    /** Sets the clock and the sleeper; tests pass a {@code ManualClock} and a sleeper moving it. */
    Builder time(NanoClock clock, Sleeper sleeper) {
      settings.time(clock, sleeper);
      return this;
    }

    /**
     * Builds the detector; it samples once {@link PoolSaturationDetector#start() started}.
     *
     * @throws IllegalArgumentException if the window is shorter than the period or longer than
     *     10000 periods
     */
    public PoolSaturationDetector build() {
      return new PoolSaturationDetector(this);
    }
  }
}
