package io.sluice.detector;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a {@link GcDetector} gets the time the JVM spent in stop-the-world collections: a
 * cumulative total, read by the sampling thread. Implementations are thread-safe.
 */
interface GcPauses extends AutoCloseable {

  /** Returns the stop-the-world pause time since this source was created, in nanoseconds. */
  long totalPauseNanos();

  /** Stops listening, if it listens. */
  @Override
  default void close() {}

  /**
   * Returns the best source of this JVM: GC notifications when the {@code jdk.management} module is
   * present, otherwise the polled collection times of the collector MXBeans.
   */
  static GcPauses platform() {
    return platform(JdkManagement.present());
  }

  /** Returns the notification source if {@code notifications} and it works here, else polling. */
  static GcPauses platform(boolean notifications) {
    if (notifications) {
      try {
        Optional<GcPauses> notified = NotifiedGcPauses.create();
        if (notified.isPresent()) {
          return notified.get();
        }
      } catch (LinkageError e) {
        // jdk.management is in the image but not readable here: poll instead.
      }
    }
    return new Polled();
  }

  /**
   * Whether a collector's reports are pauses: every bean of the JDK's collectors but those that
   * time whole concurrent cycles (ZGC and Shenandoah publish "... Cycles" beans, whose action is
   * "end of GC cycle", next to their "... Pauses"), which would count concurrent work as a stall.
   */
  static boolean isPause(String gcName, String gcAction) {
    return !gcName.contains("Cycles") && (gcAction == null || !gcAction.contains("cycle"));
  }

  /**
   * The fallback: the collection times of the pause collectors' MXBeans, in milliseconds, summed at
   * each read. Needs only {@code java.management}.
   */
  final class Polled implements GcPauses {
    private final List<GarbageCollectorMXBean> beans = new ArrayList<>();
    private final long baseline;

    Polled() {
      for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
        if (isPause(bean.getName(), null)) {
          beans.add(bean);
        }
      }
      this.baseline = sumMillis();
    }

    private long sumMillis() {
      long millis = 0;
      for (GarbageCollectorMXBean bean : beans) {
        millis += Math.max(0L, bean.getCollectionTime());   // -1 where undefined
      }
      return millis;
    }

    @Override
    public long totalPauseNanos() {
      return (sumMillis() - baseline) * 1_000_000L;
    }

    @Override
    public String toString() {
      return "polled collection times";
    }
  }
}
