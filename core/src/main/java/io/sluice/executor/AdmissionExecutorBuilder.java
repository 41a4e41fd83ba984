package io.sluice.executor;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.RejectionListener;
import io.sluice.internal.Args;
import io.sluice.limit.LimitAlgorithm;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * Configures and builds an {@link AdmissionExecutor}. Every setter checks its argument at once and
 * throws an {@link IllegalArgumentException} naming the parameter, the value and the allowed range.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>{@link #limiter}</td><td>{@code Limiter.newBuilder().clock(clock).build()}</td></tr>
 *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
 *   <tr><td>{@link #queueCapacity}</td><td>1024 tasks per priority level (and class)</td></tr>
 *   <tr><td>{@link #codel}</td><td>target 5 ms, interval 100 ms</td></tr>
 *   <tr><td>{@link #adaptiveLifo}</td><td>on</td></tr>
 *   <tr><td>{@link #longTasks}</td><td>off: one class</td></tr>
 *   <tr><td>{@link #failureClassifier}</td><td>{@link FailureClassifier#defaultRule()}</td></tr>
 *   <tr><td>{@link #shedListener}, {@link #rejectionListener}</td><td>none</td></tr>
 *   <tr><td>{@link #retryAfterJitter}</td><td>0.5</td></tr>
 * </table>
 *
 * <p>Not thread-safe; build on one thread, then share the executor.
 */
public final class AdmissionExecutorBuilder {
  /** The largest queue capacity per level. */
  public static final int MAX_QUEUE_CAPACITY = 1 << 20;

  private static final Duration MIN_CODEL = Duration.ofNanos(1_000);
  private static final Duration MAX_CODEL = Duration.ofHours(1);

  final Executor delegate;
  Limiter limiter;
  NanoClock clock = NanoClock.system();
  int queueCapacity = 1024;
  long codelTargetNanos = Duration.ofMillis(5).toNanos();
  long codelIntervalNanos = Duration.ofMillis(100).toNanos();
  boolean adaptiveLifo = true;
  int longTaskMinCost = Integer.MAX_VALUE;
  double longTaskMaxShare = 1.0;
  FailureClassifier classifier = FailureClassifier.defaultRule();
  ShedListener shedListener;
  RejectionListener rejectionListener;
  double retryAfterJitter = 0.5;

  AdmissionExecutorBuilder(Executor delegate) {
    this.delegate = Args.notNull("delegate", delegate);
  }

  /**
   * Sets the limiter that admits tasks. Give the executor its own limiter, built on the same clock
   * as {@link #clock}, and do not acquire from it elsewhere unless you mean to share the limit.
   */
  public AdmissionExecutorBuilder limiter(Limiter limiter) {
    this.limiter = Args.notNull("limiter", limiter);
    return this;
  }

  /** Sets the clock of sojourn times, deadlines and estimates; tests pass a {@code ManualClock}. */
  public AdmissionExecutorBuilder clock(NanoClock clock) {
    this.clock = Args.notNull("clock", clock);
    return this;
  }

  /**
   * Sets how many tasks may wait per priority level (and per class, with {@link #longTasks});
   * zero disables queueing: a task that the limiter refuses is rejected with
   * {@code LIMIT_REACHED} at once.
   *
   * @param capacity in [0, {@link #MAX_QUEUE_CAPACITY}]
   */
  public AdmissionExecutorBuilder queueCapacity(int capacity) {
    this.queueCapacity = Args.inRange("queueCapacity", capacity, 0, MAX_QUEUE_CAPACITY);
    return this;
  }

  /**
   * Sets the CoDel parameters: while a queue has not been empty for {@code interval}, tasks that
   * have waited longer than {@code target} are shed.
   *
   * @param target in [1 us, 1 h]
   * @param interval in [target, 1 h]
   */
  public AdmissionExecutorBuilder codel(Duration target, Duration interval) {
    long targetNanos = Args.nanosInRange("codel target", target, MIN_CODEL, MAX_CODEL);
    long intervalNanos = Args.nanosInRange("codel interval", interval, target, MAX_CODEL);
    this.codelTargetNanos = targetNanos;
    this.codelIntervalNanos = intervalNanos;
    return this;
  }

  /** Sets whether a standing queue is served newest first; default on. */
  public AdmissionExecutorBuilder adaptiveLifo(boolean enabled) {
    this.adaptiveLifo = enabled;
    return this;
  }

  /**
   * Separates long tasks: those with cost at least {@code minCost} wait in their own queues and
   * together hold at most {@code floor(maxShare * limit)} units (at least one task at a time), so
   * they can neither take every unit nor block short tasks at the head of a queue.
   *
   * @param minCost in [2, {@link LimitAlgorithm#MAX_SUPPORTED_LIMIT}]
   * @param maxShare in (0, 1]
   */
  public AdmissionExecutorBuilder longTasks(int minCost, double maxShare) {
    this.longTaskMinCost =
        Args.inRange("longTasks minCost", minCost, 2, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
    this.longTaskMaxShare = Args.inOpenClosed("longTasks maxShare", maxShare, 0.0, 1.0);
    return this;
  }

  /** Sets the rule that maps a task's exception to the outcome its permit is released with. */
  public AdmissionExecutorBuilder failureClassifier(FailureClassifier classifier) {
    this.classifier = Args.notNull("failureClassifier", classifier);
    return this;
  }

  /** Sets the listener told of every accepted task that is later shed. */
  public AdmissionExecutorBuilder shedListener(ShedListener listener) {
    this.shedListener = Args.notNull("shedListener", listener);
    return this;
  }

  /**
   * Sets the listener told of every task refused at submission or shed later, once per task, with
   * the task's priority (see {@link RejectionListener}).
   */
  public AdmissionExecutorBuilder rejectionListener(RejectionListener listener) {
    this.rejectionListener = Args.notNull("rejectionListener", listener);
    return this;
  }

  /**
   * Sets the jitter of the Retry-After of the executor's own rejections: the estimate times a
   * uniform factor in {@code [1, 1 + jitter)}.
   *
   * @param jitter in [0, 1]
   */
  public AdmissionExecutorBuilder retryAfterJitter(double jitter) {
    this.retryAfterJitter = Args.inRange("retryAfterJitter", jitter, 0.0, 1.0);
    return this;
  }

  /** Builds the executor. */
  public AdmissionExecutor build() {
    Limiter chosen = limiter != null ? limiter : Limiter.newBuilder().clock(clock).build();
    return new QueueingAdmissionExecutor(this, chosen);
  }
}
