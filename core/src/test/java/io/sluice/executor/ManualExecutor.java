package io.sluice.executor;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/** An executor that only collects tasks; the test runs them when it chooses. Single-threaded. */
final class ManualExecutor implements Executor {
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

  @Override
  public void execute(Runnable task) {
    tasks.addLast(task);
  }

  /** Runs the oldest task handed over, which releases its permit and may dispatch more. */
  void runNext() {
    Runnable task = tasks.pollFirst();
    if (task == null) {
      throw new AssertionError("no task was handed to the executor");
    }
    task.run();
  }

  /** Returns the oldest task handed over without running it. */
  Runnable peek() {
    return tasks.peekFirst();
  }

  int pending() {
    return tasks.size();
  }
}
