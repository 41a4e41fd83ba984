package io.sluice.metrics;

import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.internal.Args;
import io.sluice.internal.ExecutorProbe;
import java.util.Arrays;

/**
 * What an {@link AdmissionExecutor} is doing with tasks, read at one moment, by priority: queued,
 * admitted, refused at submission, shed after acceptance, completed by outcome, and the wait from
 * submission to admission. Its limiter is read separately with {@link LimiterSnapshot#of}.
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
 * <p>{@link #of} may be called from any thread and never blocks the executor; under traffic the
 * counts are read one after another, not as one atomic cut. Instances are immutable.
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

  /**
   * Reads an executor built by {@link AdmissionExecutor#newBuilder}.
   *
   * @throws IllegalArgumentException if the executor is null or another implementation
   */
  public static ExecutorSnapshot of(AdmissionExecutor executor) {
    if (!(Args.notNull("executor", executor) instanceof ExecutorProbe)) {
      throw new IllegalArgumentException("executor must be built by AdmissionExecutor.newBuilder()"
          + " but was " + executor.getClass().getName());
    }
    ExecutorProbe probe = (ExecutorProbe) executor;
    ExecutorSnapshot s = new ExecutorSnapshot();
    for (Priority p : Priority.values()) {
      int level = p.ordinal();
      // Completions before admissions, so that admitted >= completed in every snapshot.
      for (int o = 0; o < OUTCOMES; o++) {
        s.completed[o * LEVELS + level] = probe.completed(o, level);
      }
      s.admitted[level] = probe.admitted(level);
      for (int r = 0; r < REASONS; r++) {
        s.rejected[r * LEVELS + level] = probe.refused(r, level);
        s.shed[r * LEVELS + level] = probe.shed(r, level);
      }
      s.queued[level] = executor.queued(p);
      s.queueWait[level] = LatencySnapshot.of(probe.queueWait(level));
    }
    return s;
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

  /** Returns the tasks refused at submission, all reasons and priorities. */
  public long rejected() {
    return sum(rejected);
  }

  /** Returns the tasks of a priority accepted and later shed for a reason. */
  public long shed(RejectReason reason, Priority priority) {
    return shed[index(reason, priority)];
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
}
