package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs a stress test's workers: released together, joined, and failed if one throws or hangs. */
public final class Workers {
  private Workers() {}

  /** What each worker does; {@code worker} is its index, in {@code [0, threads)}. */
  @FunctionalInterface
  public interface Body {
    /** Runs worker {@code worker}. */
    void run(int worker) throws Exception;
  }

  /** Starts {@code threads} workers at once and waits up to two minutes for all of them. */
  public static void run(int threads, Body body) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger failures = new AtomicInteger();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int index = t;
      workers[t] = new Thread(() -> {
        try {
          start.await();
          body.run(index);
        } catch (Throwable e) {
          failures.incrementAndGet();
          e.printStackTrace();
        }
      }, "worker-" + t);
      workers[t].start();
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join(TimeUnit.MINUTES.toMillis(2));
      assertThat(worker.isAlive()).as("%s finished", worker.getName()).isFalse();
    }
    assertThat(failures.get()).as("workers that threw").isZero();
  }
}
