package io.sluice.executor;

import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.internal.CumulativeHistogram;
import io.sluice.metrics.ExecutorSnapshot;
import java.util.concurrent.atomic.LongAdder;

/*
 * The executor's counts, for its snapshot. Every count is a LongAdder indexed by priority (and
 * reason or outcome), bumped where the event is decided: admitted when a task moves to ADMITTED,
 * refused when submit or execute throws, shed when an accepted task's future is failed later,
 * completed when an admitted task's permit is released. The wait from submission to admission of
 * every admitted task (zero for those admitted at once) goes into a cumulative histogram per
 * priority. None of this is on the limiter's acquire or release path; a task already allocates
 * its future.
 */
final class ExecutorCounters {
  private static final int LEVELS = Priority.LEVELS;
  private static final int REASONS = RejectReason.values().length;
  private static final int OUTCOMES = Outcome.values().length;

  /** Index reason * LEVELS + priority. */
  private final LongAdder[] refused = adders(REASONS * LEVELS);
  /** Index reason * LEVELS + priority. */
  private final LongAdder[] shed = adders(REASONS * LEVELS);
  private final LongAdder[] admitted = adders(LEVELS);
  /** Index outcome * LEVELS + priority. */
  private final LongAdder[] completed = adders(OUTCOMES * LEVELS);
  private final CumulativeHistogram[] queueWaits = new CumulativeHistogram[LEVELS];

  ExecutorCounters() {
    for (int i = 0; i < LEVELS; i++) {
      queueWaits[i] = new CumulativeHistogram();
    }
  }

  private static LongAdder[] adders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** Counts a refusal at submission, or ({@code shedLater}) the shedding of an accepted task. */
  void rejected(RejectReason reason, int level, boolean shedLater) {
    (shedLater ? shed : refused)[reason.ordinal() * LEVELS + level].increment();
  }

  /** Counts an admission after {@code waitNanos} in the queue. */
  void admitted(int level, long waitNanos) {
    admitted[level].increment();
    queueWaits[level].record(waitNanos);
  }

  /** Counts the release of an admitted task's permit with {@code outcome}. */
  void completed(Outcome outcome, int level) {
    completed[outcome.ordinal() * LEVELS + level].increment();
  }

  /** Adds the counts of {@code p}: completions before admissions, so that admitted >= completed. */
  void addCounts(ExecutorSnapshot.Builder b, Priority p) {
    int level = p.ordinal();
    for (Outcome o : Outcome.values()) {
      b.completed(o, p, completed[o.ordinal() * LEVELS + level].sum());
    }
    b.admitted(p, admitted[level].sum());
    for (RejectReason r : RejectReason.values()) {
      b.rejected(r, p, refused[r.ordinal() * LEVELS + level].sum());
      b.shed(r, p, shed[r.ordinal() * LEVELS + level].sum());
    }
  }

  /** Adds the distribution of queue waits of the tasks of {@code p} admitted so far. */
  void addQueueWait(ExecutorSnapshot.Builder b, Priority p) {
    b.queueWait(p, queueWaits[p.ordinal()].snapshot());
  }
}
