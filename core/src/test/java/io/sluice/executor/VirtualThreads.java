package io.sluice.executor;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code Executors.newVirtualThreadPerTaskExecutor()} on JDK 21+, found by reflection because the
 * build targets 17; a thread-per-task pool of platform threads on older runtimes.
 */
public final class VirtualThreads {
  private VirtualThreads() {}

  /** Returns a virtual-thread-per-task executor where the runtime has one. */
  public static ExecutorService perTaskExecutor() {
    try {
      Method m = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
      return (ExecutorService) m.invoke(null);
    } catch (ReflectiveOperationException e) {
      return Executors.newCachedThreadPool();
    }
  }
}
