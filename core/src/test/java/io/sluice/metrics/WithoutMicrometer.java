package io.sluice.metrics;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import java.util.ArrayDeque;

/**
 * Uses the limiter, the executor, the snapshots and the overload monitor; CoreWithoutMicrometerTest
 * runs it in a class loader that has no Micrometer. Throws if anything is off.
 */
public final class WithoutMicrometer implements Runnable {

  /** Creates the check; the test instantiates it reflectively in the isolated class loader. */
  public WithoutMicrometer() {}

  @Override
  public void run() {
    Limiter limiter = Limiter.newBuilder().rejectionListener((r, p, n) -> { }).build();
    limiter.release(limiter.tryAcquire(), Outcome.SUCCESS);
    ArrayDeque<Runnable> workers = new ArrayDeque<>();
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(workers::add).build();
    executor.submit(() -> "task", TaskOptions.defaults());
    workers.poll().run();
    OverloadMonitor monitor = OverloadMonitor.newBuilder(executor).build();
    if (limiter.snapshot().completed() != 1
        || executor.snapshot().completed(Outcome.SUCCESS, Priority.CRITICAL) != 1
        || monitor.evaluate().state() != OverloadState.OK) {
      throw new AssertionError("unexpected metrics without Micrometer");
    }
    executor.shutdown();
  }
}
