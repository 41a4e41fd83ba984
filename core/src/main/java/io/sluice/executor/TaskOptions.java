package io.sluice.executor;

import io.sluice.Priority;
import io.sluice.internal.Args;
import io.sluice.limit.LimitAlgorithm;
import java.time.Duration;

/**
 * What a task tells the {@link AdmissionExecutor} about itself: its {@link Priority}, its cost in
 * units of the concurrency limit (long-tail work weighs more than one), and an optional deadline.
 *
 * <pre>{@code
 * TaskOptions opts = TaskOptions.of(Priority.SHEDDABLE).withCost(4).withTimeout(Duration.ofMillis(250));
 * executor.submit(() -> render(request), opts);
 * }</pre>
 *
 * <p>Immutable and thread-safe; the {@code with} methods return new instances. The instances
 * returned by {@link #of(Priority)} are shared, so tasks that need nothing else allocate nothing
 * for their options.
 */
public final class TaskOptions {
  /** The largest cost a task may declare. */
  public static final int MAX_COST = LimitAlgorithm.MAX_SUPPORTED_LIMIT;

  /** No timeout; a deadline is told apart by a flag, since every long is a valid clock reading. */
  private static final long NONE = Long.MAX_VALUE;
  private static final Duration MAX_TIMEOUT = Duration.ofDays(1);
  private static final TaskOptions[] DEFAULTS = new TaskOptions[Priority.LEVELS];

  static {
    for (Priority p : Priority.values()) {
      DEFAULTS[p.ordinal()] = new TaskOptions(p, 1, NONE, 0L, false);
    }
  }

  private final Priority priority;
  private final int cost;
  private final long timeoutNanos;
  private final long deadlineNanos;
  private final boolean absoluteDeadline;

  private TaskOptions(Priority priority, int cost, long timeoutNanos, long deadlineNanos,
      boolean absoluteDeadline) {
    this.priority = priority;
    this.cost = cost;
    this.timeoutNanos = timeoutNanos;
    this.deadlineNanos = deadlineNanos;
    this.absoluteDeadline = absoluteDeadline;
  }

  /** Returns the options of a task that says nothing: {@link Priority#CRITICAL}, cost 1, no deadline. */
  public static TaskOptions defaults() {
    return DEFAULTS[Priority.CRITICAL.ordinal()];
  }

  /** Returns the options of a task with the given priority, cost 1 and no deadline. */
  public static TaskOptions of(Priority priority) {
    return DEFAULTS[Args.notNull("priority", priority).ordinal()];
  }

  /**
   * Returns these options with the given cost: the units of the concurrency limit the task holds
   * while it runs (for example a predicted duration class or a token count).
   *
   * @param cost in [1, {@link #MAX_COST}]; the executor's limiter may allow less (it refuses a
   *     cost above its maximum), and a cost above the limit in force holds the whole limit
   */
  public TaskOptions withCost(int cost) {
    return new TaskOptions(priority, Args.inRange("cost", cost, 1, MAX_COST), timeoutNanos,
        deadlineNanos, absoluteDeadline);
  }

  /**
   * Returns these options with a deadline {@code timeout} after submission; replaces any deadline.
   *
   * @param timeout in [1 ns, 1 day]
   */
  public TaskOptions withTimeout(Duration timeout) {
    long nanos = Args.nanosInRange("timeout", timeout, Duration.ofNanos(1), MAX_TIMEOUT);
    return new TaskOptions(priority, cost, nanos, 0L, false);
  }

  /**
   * Returns these options with an absolute deadline, a reading of the executor's
   * {@link io.sluice.NanoClock} (for example the request's arrival plus the client's timeout);
   * replaces any timeout. Like every clock reading it is compared by difference, so it may lie
   * across the wrap of {@code nanoTime()}, but it must be less than about 292 years from now.
   */
  public TaskOptions withDeadline(long deadlineNanos) {
    return new TaskOptions(priority, cost, NONE, deadlineNanos, true);
  }

  /** Returns the priority. */
  public Priority priority() {
    return priority;
  }

  /** Returns the cost in units of the concurrency limit. */
  public int cost() {
    return cost;
  }

  /** Whether the task has a timeout or a deadline. */
  boolean hasDeadline() {
    return absoluteDeadline || timeoutNanos != NONE;
  }

  /**
   * Returns the deadline of a task submitted at {@code submitNanos}, if {@link #hasDeadline()}:
   * a clock reading that may wrap past Long.MAX_VALUE, as the clock itself does.
   */
  long deadlineFor(long submitNanos) {
    return absoluteDeadline ? deadlineNanos : submitNanos + timeoutNanos;
  }

  @Override
  public String toString() {
    return "TaskOptions[" + priority + ", cost=" + cost
        + (timeoutNanos != NONE ? ", timeout=" + timeoutNanos + "ns" : "")
        + (absoluteDeadline ? ", deadline=" + deadlineNanos : "") + "]";
  }
}
