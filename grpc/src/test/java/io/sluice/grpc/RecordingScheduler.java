package io.sluice.grpc;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler that records the delay of every task and then either runs it at once, after a hook
 * that stands for what the delay would have let happen (the server freeing capacity), or holds
 * it until {@link #runHeld()}. No test waits for real time, and none asserts on it.
 */
final class RecordingScheduler extends ScheduledThreadPoolExecutor {
  final List<Long> delaysNanos = new CopyOnWriteArrayList<>();
  private final boolean hold;
  private final boolean inline;
  private volatile Runnable beforeEach = () -> { };

  private RecordingScheduler(boolean hold, boolean inline) {
    super(1);
    this.hold = hold;
    this.inline = inline;
    setRemoveOnCancelPolicy(true);
  }

  /** Returns a scheduler that runs each task at once, after the hook, on its own thread. */
  static RecordingScheduler immediate() {
    return new RecordingScheduler(false, false);
  }

  /** Returns a scheduler that runs tasks only when the test says so. */
  static RecordingScheduler holding() {
    return new RecordingScheduler(true, false);
  }

  /**
   * Returns a scheduler that runs each task, after the hook, inside {@code schedule}, on the
   * caller's thread: the retry starts before the code that scheduled it has returned.
   */
  static RecordingScheduler inline() {
    return new RecordingScheduler(false, true);
  }

  /** Sets what happens before each task runs. */
  RecordingScheduler beforeEach(Runnable hook) {
    this.beforeEach = hook;
    return this;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    delaysNanos.add(unit.toNanos(delay));
    Runnable hook = beforeEach;
    if (inline) {
      hook.run();
      command.run();
      return ranAlready();
    }
    return super.schedule(() -> {
      hook.run();
      command.run();
    }, hold ? 1 : 0, hold ? TimeUnit.DAYS : TimeUnit.NANOSECONDS);
  }

  /** Returns a future that is done, as that of a task which has run: it cannot be cancelled. */
  private ScheduledFuture<?> ranAlready() {
    ScheduledFuture<?> done = super.schedule(() -> { }, 0, TimeUnit.NANOSECONDS);
    try {
      done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
    return done;
  }

  /** Runs, on the calling thread, the held tasks that were not cancelled; returns how many. */
  int runHeld() {
    int ran = 0;
    for (Runnable task : getQueue().toArray(new Runnable[0])) {
      if (remove(task)) {
        task.run();
        ran++;
      }
    }
    return ran;
  }
}
