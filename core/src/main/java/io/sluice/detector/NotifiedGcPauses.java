package io.sluice.detector;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Pause times as the JVM reports each collection: a listener on every collector MXBean adds the
 * duration of each pause, told from a concurrent cycle by the collector's name and the action. A
 * notification arrives on a JVM thread right after its collection, so the total is current at the
 * next sample. Loaded only when {@link JdkManagement#present()}; registers at creation,
 * unregisters at {@link #close()}.
 */
final class NotifiedGcPauses implements GcPauses, NotificationListener {
  private final AtomicLong pauseNanos = new AtomicLong();
  private final List<NotificationEmitter> emitters = new ArrayList<>();

  private NotifiedGcPauses() {}

  /** Returns a source listening to every collector; empty if no collector emits notifications. */
  static Optional<GcPauses> create() {
    NotifiedGcPauses pauses = new NotifiedGcPauses();
    for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (bean instanceof NotificationEmitter) {
        NotificationEmitter emitter = (NotificationEmitter) bean;
        emitter.addNotificationListener(pauses, null, null);
        pauses.emitters.add(emitter);
      }
    }
    return pauses.emitters.isEmpty() ? Optional.empty() : Optional.of(pauses);
  }

  @Override
  public void handleNotification(Notification notification, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION
        .equals(notification.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info =
        GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
    if (GcPauses.isPause(info.getGcName(), info.getGcAction())) {
      pauseNanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(info.getGcInfo().getDuration()));
    }
  }

  @Override
  public long totalPauseNanos() {
    return pauseNanos.get();
  }

  @Override
  public void close() {
    for (NotificationEmitter emitter : emitters) {
      try {
        emitter.removeNotificationListener(this);
      } catch (ListenerNotFoundException e) {
        // Already gone: nothing to release.
      }
    }
  }

  @Override
  public String toString() {
    return "GC notifications";
  }
}
