package io.sluice.detector;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.function.LongSupplier;

/**
 * The CPU time of this process, in nanoseconds, from {@code com.sun.management}; -1 where the
 * platform does not measure it. Loaded only when {@link JdkManagement#present()}.
 */
final class ProcessCpuTime {
  private ProcessCpuTime() {}

  /** Returns a reader of the process CPU time that answers -1 where it is not supported. */
  static LongSupplier create() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os)::getProcessCpuTime;
    }
    return () -> -1L;
  }
}
