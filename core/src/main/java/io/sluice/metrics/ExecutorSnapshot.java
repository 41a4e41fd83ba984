package io.sluice.metrics;

import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.internal.Args;
import java.util.Arrays;

/**
 * What an {@link AdmissionExecutor} is doing with tasks, read at one moment, by priority: queued,
 * admitted, refused at submission, shed after acceptance, completed by outcome, and the wait from
 * submission to admission, read by {@link AdmissionExecutor#snapshot()}. Its limiter is read
 * separately, with {@code executor.limiter().snapshot()}.
 *
 * <h2>Semantics</h2>
 * Counts are cumulative since the executor was built and never decrease; differences of two
 * snapshots give rates. Each task counts once in the executor's counts:
 * <ul>
 *   <li><b>rejected</b>: refused at submission, the caller got an exception ({@code QUEUE_FULL},
 *       {@code DEADLINE}, {@code PRIORITY_SHED}, {@code SHUTDOWN}, {@code LIMIT_REACHED} without
 *       a queue);
 *   <li><b>shed</b>: accepted, then failed without running ({@code QUEUE_TIMEOUT} by CoDel,
 *       {@code DEADLINE} while queued, {@code SHUTDOWN} by {@code shutdownNow}, {@code QUEUE_FULL}
 *       when the wrapped executor refused it);
 *   <li><b>admitted</b>: handed to the wrapped executor with a permit, and later <b>completed</b>
 *       with the outcome its permit was released with (a task cancelled after admission completes
 *       as {@code IGNORED}; one the wrapped executor refused completes as {@code DROPPED} and is
 *       also shed).
 * </ul>
 * The queue wait of every admitted task (zero when admitted at once) is in {@link #queueWait}:
 * cumulative, like the counts; subtract an earlier snapshot's for an interval. The limiter's own
 * rejection count is larger than the executor's: it also counts the dispatcher's refused attempts
 * to admit queued tasks.
 *
 * <p>Immutable. The executor's {@code snapshot()} may be called from any thread and never blocks
 * it; under traffic the counts are read one after another, not as one atomic cut.
 * {@link #newBuilder()} builds one (for an {@code AdmissionExecutor} implementation); the builder
 * is not thread-safe.
 */
public final class ExecutorSnapshot {
  private static final int LEVELS = Priority.LEVELS;
  private static final int REASONS = RejectReason.values().length;
  private static final int OUTCOMES = Outcome.values().length;

  private final int[] queued = new int[LEVELS];
  private final long[] admitted = new long[LEVELS];
  private final long[] rejected = new long[REASONS * LEVELS];
  private final long[] shed = new long[REASONS * LEVELS];
  private final long[] completed = new long[OUTCOMES * LEVELS];
  private final LatencySnapshot[] queueWait = new LatencySnapshot[LEVELS];

  private ExecutorSnapshot() {}

  /** Returns a builder of a snapshot whose every count is 0 (and whose waits are empty). */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns the tasks of a priority waiting in the queues. */
  public int queued(Priority priority) {
    return queued[level(priority)];
  }

  /** Returns the tasks waiting in the queues. */
  public int queued() {
    return Arrays.stream(queued).sum();
  }

  /** Returns the tasks of a priority admitted (handed to the wrapped executor with a permit). */
  public long admitted(Priority priority) {
    return admitted[level(priority)];
  }

  /** Returns the tasks admitted, all priorities. */
  public long admitted() {
    return sum(admitted);
  }

  /** Returns the tasks of a priority refused at submission for a reason. */
  public long rejected(RejectReason reason, Priority priority) {
    return rejected[index(reason, priority)];
  }

  /** Returns the tasks refused at submission for a reason, all priorities. */
  public long rejected(RejectReason reason) {
    long n = 0;
    for (Priority p : Priority.values()) {
      n += rejected(reason, p);
    }
    return n;
  }

  /** Returns the tasks refused at submission, all reasons and priorities. */
  public long rejected() {
    return sum(rejected);
  }

  /** Returns the tasks of a priority accepted and later shed for a reason. */
  public long shed(RejectReason reason, Priority priority) {
    return shed[index(reason, priority)];
  }

  /** Returns the tasks accepted and later shed for a reason, all priorities. */
  public long shed(RejectReason reason) {
    long n = 0;
    for (Priority p : Priority.values()) {
      n += shed(reason, p);
    }
    return n;
  }

  /** Returns the tasks accepted and later shed, all reasons and priorities. */
  public long shed() {
    return sum(shed);
  }

  /** Returns the admitted tasks of a priority whose permit was released with {@code outcome}. */
  public long completed(Outcome outcome, Priority priority) {
    return completed[Args.notNull("outcome", outcome).ordinal() * LEVELS + level(priority)];
  }

  /** Returns the wait from submission to admission of the admitted tasks of a priority. */
  public LatencySnapshot queueWait(Priority priority) {
    return queueWait[level(priority)];
  }

  /** Returns the wait from submission to admission of all admitted tasks. */
  public LatencySnapshot queueWait() {
    LatencySnapshot all = LatencySnapshot.empty();
    for (LatencySnapshot w : queueWait) {
      all = all.plus(w);
    }
    return all;
  }

  private static int level(Priority priority) {
    return Args.notNull("priority", priority).ordinal();
  }

  private static int index(RejectReason reason, Priority priority) {
    return Args.notNull("reason", reason).ordinal() * LEVELS + level(priority);
  }

  private static long sum(long[] counts) {
    return Arrays.stream(counts).sum();
  }

  @Override
  public String toString() {
    return "ExecutorSnapshot[queued=" + queued() + ", admitted=" + admitted() + ", rejected="
        + rejected() + ", shed=" + shed() + ", queueWait=" + queueWait() + "]";
  }

  /**
   * Builds an {@link ExecutorSnapshot}, for an {@link AdmissionExecutor} implementation's
   * {@code snapshot()}. Every count starts at 0 (every wait empty); every setter checks its
   * arguments at once and throws an {@link IllegalArgumentException} naming the parameter, the
   * value and the allowed range. Not thread-safe.
   */
  public static final class Builder {
    private final ExecutorSnapshot s = new ExecutorSnapshot();

    private Builder() {
      Arrays.fill(s.queueWait, LatencySnapshot.empty());
    }

    /** Sets the tasks of a priority waiting in the queues, zero or more. */
    public Builder queued(Priority priority, int tasks) {
      s.queued[level(priority)] = Args.inRange("queued", tasks, 0, Integer.MAX_VALUE);
      return this;
    }

    /** Sets the tasks of a priority admitted, zero or more. */
    public Builder admitted(Priority priority, long tasks) {
      s.admitted[level(priority)] = count("admitted", tasks);
      return this;
    }

    /** Sets the tasks of a priority refused at submission for a reason, zero or more. */
    public Builder rejected(RejectReason reason, Priority priority, long tasks) {
      s.rejected[index(reason, priority)] = count("rejected", tasks);
      return this;
    }

    /** Sets the tasks of a priority accepted and later shed for a reason, zero or more. */
    public Builder shed(RejectReason reason, Priority priority, long tasks) {
      s.shed[index(reason, priority)] = count("shed", tasks);
      return this;
    }

    /** Sets the admitted tasks of a priority whose permit was released with an outcome. */
    public Builder completed(Outcome outcome, Priority priority, long tasks) {
      s.completed[Args.notNull("outcome", outcome).ordinal() * LEVELS + level(priority)] =
          count("completed", tasks);
      return this;
    }

    /** Sets the wait from submission to admission of the admitted tasks of a priority. */
    public Builder queueWait(Priority priority, LatencySnapshot wait) {
      s.queueWait[level(priority)] = Args.notNull("queueWait", wait);
      return this;
    }

    /** Builds the snapshot; the builder may go on to build others. */
    public ExecutorSnapshot build() {
      ExecutorSnapshot copy = new ExecutorSnapshot();
      System.arraycopy(s.queued, 0, copy.queued, 0, LEVELS);
      System.arraycopy(s.admitted, 0, copy.admitted, 0, LEVELS);
      System.arraycopy(s.rejected, 0, copy.rejected, 0, s.rejected.length);
      System.arraycopy(s.shed, 0, copy.shed, 0, s.shed.length);
      System.arraycopy(s.completed, 0, copy.completed, 0, s.completed.length);
      System.arraycopy(s.queueWait, 0, copy.queueWait, 0, LEVELS);
      return copy;
    }

    private static long count(String name, long value) {
      return Args.inRange(name, value, 0L, Long.MAX_VALUE);
    }
  }
}
