package io.sluice.detector;

import io.sluice.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/*
 * The sampling loop, the lifecycle and the published signal that every shipped detector shares.
 *
 * Loop: note the time, sleep one period, note the time again, let the probe turn the two readings
 * into a signal, publish it; repeat until closed. The heartbeat's figure is the lateness of the
 * wake-up itself; the other probes read a source at the second reading.
 *
 * Memory ordering. The sampling thread (or a test calling runOnce, never both) is the only writer
 * of the probe's state and of `signal`, except that close() stores a sentinel. Each reading is
 * published by a compare-and-set against the reading this loop last published, so once close()
 * has stored the sentinel no reading taken before can overwrite it: the signal reads NONE forever
 * after close. Readers do one volatile read of an immutable record, which publishes all its
 * fields. start() and close() are synchronized with each other (never with readers) so that the
 * probe's open and close happen once each and in that order.
 *
 * Watchers (OverloadDetector.watch): after a publish that changes the level (a sample, close(),
 * the fail-open of a dying thread), the publishing thread runs each watcher once, after its own
 * volatile write of the signal, so a watcher that reads signal() sees the new level or a later
 * one. That is what lets a limiter fold its detectors into one word that its admit path reads.
 * Watchers are held weakly (a detector shared by many limiters must not keep the limiters it
 * outlives alive), in a copy-on-write list: added under the lock, read without it; cleared
 * references are dropped at the next addition.
 */
final class Sampler {
  private static final VarHandle SIGNAL;

  static {
    try {
      SIGNAL = MethodHandles.lookup().findVarHandle(Sampler.class, "signal", OverloadSignal.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What a detector samples. Called on the sampling thread only, except {@link #close}. */
  interface Probe {

    /** Takes the baseline reading and acquires resources; called once, before the first sample. */
    default void open(long nowNanos) {}

    /**
     * Returns the signal for the period that began at {@code sleptFromNanos} (before the sleep) and
     * ends at {@code nowNanos}. Exceptions read as NONE.
     */
    OverloadSignal sample(long sleptFromNanos, long nowNanos);

    /** Releases resources; may run while a last {@link #sample} is in progress. */
    default void close() {}
  }

  private final String name;
  private final NanoClock clock;
  private final Sleeper sleeper;
  private final long periodNanos;
  private final Probe probe;
  /** Stored by close(); compared by identity. */
  private final OverloadSignal closed;

  private volatile OverloadSignal signal;
  /** Copy-on-write; see the design comment. */
  private volatile List<WeakReference<Runnable>> watchers = List.of();
  private boolean opened;
  private Thread thread;
  private boolean failing;

  Sampler(String name, NanoClock clock, Sleeper sleeper, long periodNanos, Probe probe) {
    this.name = name;
    this.clock = clock;
    this.sleeper = sleeper;
    this.periodNanos = periodNanos;
    this.probe = probe;
    long now = clock.nanoTime();
    this.closed = OverloadSignal.none(now);
    this.signal = OverloadSignal.none(now);
  }

  /**
   * Returns how many samples a window holds: {@code ceil(window / period)}.
   *
   * @throws IllegalArgumentException unless {@code period <= window <= 10000 periods}
   */
  static int slots(Duration period, Duration window) {
    long p = period.toNanos();
    long w = window.toNanos();
    if (w < p || (w + p - 1) / p > LongRing.MAX_CAPACITY) {
      throw new IllegalArgumentException("window must be in [" + period + ", "
          + LongRing.MAX_CAPACITY + " periods of " + period + "] but was " + window);
    }
    return (int) ((w + p - 1) / p);
  }

  String name() {
    return name;
  }

  OverloadSignal signal() {
    return signal;
  }

  /**
   * Runs {@code onChange} after each change of level, on the publishing thread, for as long as
   * something else holds it; see {@link OverloadDetector#watch}.
   */
  synchronized void watch(Runnable onChange) {
    List<WeakReference<Runnable>> next = new ArrayList<>(watchers.size() + 1);
    for (WeakReference<Runnable> watcher : watchers) {
      if (watcher.get() != null) {
        next.add(watcher);
      }
    }
    next.add(new WeakReference<>(onChange));
    watchers = List.copyOf(next);
  }

  /** Publishes {@code next} if the signal is still {@code last}; tells the watchers of a change. */
  private boolean publish(OverloadSignal last, OverloadSignal next) {
    if (!SIGNAL.compareAndSet(this, last, next)) {
      return false;
    }
    if (next.level() != last.level()) {
      notifyWatchers();
    }
    return true;
  }

  private void notifyWatchers() {
    for (WeakReference<Runnable> watcher : watchers) {
      Runnable onChange = watcher.get();
      if (onChange != null) {
        try {
          onChange.run();
        } catch (RuntimeException e) {
          // A watcher's failure is its own: the detector goes on sampling and telling the others.
          Thread current = Thread.currentThread();
          current.getUncaughtExceptionHandler().uncaughtException(current, e);
        }
      }
    }
  }

  /** Opens the probe and starts the daemon sampling thread; see {@link OverloadDetector#start}. */
  synchronized void start() {
    if (signal == closed) {
      throw new IllegalStateException("the " + name + " detector is closed");
    }
    if (thread != null) {
      return;
    }
    open();
    thread = new Thread(this::loop, "sluice-" + name + "-detector");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Opens the probe without a thread, for a caller that drives {@link #runOnce} itself. A probe
   * that fails to open throws to the caller of start, and is not closed later.
   */
  synchronized void open() {
    if (!opened && signal != closed) {
      probe.open(clock.nanoTime());
      opened = true;
    }
  }

  /** See {@link OverloadDetector#close}. */
  synchronized void close() {
    OverloadSignal last = signal;
    if (last == closed) {
      return;
    }
    signal = closed;
    if (last.level() != closed.level()) {
      notifyWatchers();
    }
    if (thread != null) {
      thread.interrupt();
    }
    if (opened) {
      probe.close();
    }
  }

  /**
   * Sleeps one period, samples and publishes; returns false once closed. The sampling thread's
   * step, which tests call directly after {@link #open} to run a detector in virtual time.
   */
  boolean runOnce() throws InterruptedException {
    OverloadSignal last = signal;
    if (last == closed) {
      return false;
    }
    long from = clock.nanoTime();
    sleeper.sleepNanos(periodNanos);
    long now = clock.nanoTime();
    OverloadSignal next;
    try {
      next = probe.sample(from, now);
      failing = false;
    } catch (RuntimeException e) {
      next = OverloadSignal.none(now);
      if (!failing) {
        // The first of consecutive failures goes where the application's uncaught exceptions go;
        // the detector reads NONE and keeps sampling.
        failing = true;
        Thread current = Thread.currentThread();
        current.getUncaughtExceptionHandler().uncaughtException(current, e);
      }
    }
    return publish(last, next);
  }

  private void loop() {
    try {
      while (runOnce()) {
        // Each round publishes one reading.
      }
    } catch (InterruptedException e) {
      // close() interrupts the sleep: the loop ends.
    } finally {
      // Fail open: a sampling thread that dies (an Error) leaves NONE behind, never a stale level.
      OverloadSignal last = signal;
      if (last != closed) {
        publish(last, OverloadSignal.none(clock.nanoTime()));
      }
    }
  }

  @Override
  public String toString() {
    return name + "[" + signal + "]";
  }
}
