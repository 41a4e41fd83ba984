package io.sluice.executor;

import io.sluice.Priority;

/*
 * The executor's queues and the rules that decide which queued task goes next or goes away:
 * strict priority between levels, CoDel within a queue, and adaptive LIFO.
 *
 * One queue per priority level and task class, indexed level * 2 + class (0 regular, 1 long);
 * higher levels first, and within a level the regular class before the long class. A queue
 * "stands" (CoDel, Nichols & Jacobson 2012) when it has not been empty for a whole interval: a
 * standing queue is a queue that does not drain, not a burst. While a queue stands, its oldest
 * tasks that waited longer than the target are shed ("Fail at Scale", ACM Queue 2015: 5 ms target,
 * 100 ms interval), and, with adaptive LIFO, the newest task is served first, since it is the one
 * whose caller most likely still waits. A task of a lower level is refused at submission while a
 * higher level's regular queue stands: the capacity it would wait for is already spoken for.
 *
 * The dispatch loop that applies these rules (DispatchLoop.pass) owns the order of events; this
 * class holds only the queues and the rules, and reads nothing but the queues' state (counts,
 * when each was last empty) and the reading of the clock it is given.
 */
final class QueueDiscipline {
  private static final int LEVELS = Priority.LEVELS;

  /** Index level * 2 + class (0 regular, 1 long); null when queueing or the long class is off. */
  private final TaskQueue[] queues;
  private final long codelTargetNanos;
  private final long codelIntervalNanos;
  private final boolean adaptiveLifo;

  QueueDiscipline(int capacity, boolean longClass, long codelTargetNanos,
      long codelIntervalNanos, boolean adaptiveLifo, long nowNanos) {
    this.codelTargetNanos = codelTargetNanos;
    this.codelIntervalNanos = codelIntervalNanos;
    this.adaptiveLifo = adaptiveLifo;
    this.queues = new TaskQueue[LEVELS * 2];
    if (capacity > 0) {
      for (int level = 0; level < LEVELS; level++) {
        queues[level * 2] = new TaskQueue(capacity, nowNanos);
        if (longClass) {
          queues[level * 2 + 1] = new TaskQueue(capacity, nowNanos);
        }
      }
    }
  }

  /** Returns the number of queues, in the order a dispatch pass serves them. */
  int size() {
    return queues.length;
  }

  /** Returns the queue at {@code index} (level * 2 + class), or null if there is none. */
  TaskQueue at(int index) {
    return queues[index];
  }

  /** Returns the queue of a task of {@code level} and class, or null if tasks cannot queue. */
  TaskQueue queueFor(int level, boolean longTask) {
    return queues[level * 2 + (longTask ? 1 : 0)];
  }

  /** Returns the tasks queued at {@code level} and above, both classes. */
  int queuedUpTo(int level) {
    int n = 0;
    for (int i = 0; i < (level + 1) * 2; i++) {
      TaskQueue queue = queues[i];
      if (queue != null) {
        n += queue.count();
      }
    }
    return n;
  }

  /** Returns the tasks queued at {@code level} exactly, both classes. */
  int queuedAt(int level) {
    int n = 0;
    for (int i = level * 2; i < level * 2 + 2; i++) {
      if (queues[i] != null) {
        n += queues[i].count();
      }
    }
    return n;
  }

  /** Whether the regular queue of a level above {@code level} stands: strict priority. */
  boolean higherLevelStanding(int level, long now) {
    for (int h = 0; h < level; h++) {
      TaskQueue queue = queues[h * 2];
      if (queue != null && queue.standing(now, codelIntervalNanos)) {
        return true;
      }
    }
    return false;
  }

  /** Whether CoDel sheds {@code oldest}: its queue stands and it waited longer than the target. */
  boolean overstayed(TaskQueue queue, AdmissionTask<?> oldest, long now) {
    return queue.standing(now, codelIntervalNanos) && now - oldest.enqueuedNanos > codelTargetNanos;
  }

  /** Whether the next task comes from the newest end: adaptive LIFO while the queue stands. */
  boolean servesNewest(TaskQueue queue, long now) {
    return adaptiveLifo && queue.standing(now, codelIntervalNanos);
  }
}
