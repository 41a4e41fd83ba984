package io.sluice.simulator;

import io.sluice.NanoClock;
import java.util.Arrays;

/**
 * A deterministic virtual-time event loop: actions scheduled at virtual times run in time order,
 * ties in the order they were scheduled, each with {@link #clock()} reading its time. Nothing
 * waits on the wall clock, so an hour of traffic takes as long as its events take to run, and a
 * run is a pure function of its inputs. {@link Simulation} runs on it; so can any scenario that
 * drives real Sluice components (a limiter, an executor over a simulated pool) in one thread.
 *
 * <pre>{@code
 * EventLoop loop = new EventLoop();
 * Limiter limiter = Limiter.newBuilder().clock(loop.clock()).build();
 * loop.at(1_000_000, () -> handle(limiter.tryAcquire()));
 * loop.runUntil(60_000_000_000L);
 * }</pre>
 *
 * <p>Not thread-safe: schedule and run from one thread. Its clock may be read from any thread, but
 * only the loop's thread moves it.
 */
public final class EventLoop {
  /*
   * A binary min-heap over (time, sequence) kept in parallel arrays, so that scheduling allocates
   * nothing beyond the action itself (simulations schedule millions of events). The sequence
   * number breaks ties in scheduling order.
   */
  private long[] times = new long[64];
  private long[] sequences = new long[64];
  private Runnable[] actions = new Runnable[64];
  private int size;
  private long sequence;
  private volatile long now;
  private final NanoClock clock = () -> now;

  /** Creates a loop whose clock reads zero and which holds no event. */
  public EventLoop() {}

  /** Returns the loop's clock: the virtual time of the event being run (or last run). */
  public NanoClock clock() {
    return clock;
  }

  /** Returns the current virtual time in nanoseconds. */
  public long nanos() {
    return now;
  }

  /** Returns the number of scheduled events not yet run. */
  public int pending() {
    return size;
  }

  /**
   * Schedules {@code action} at virtual time {@code nanos}, which must not be earlier than the
   * current time; actions at the same time run in the order they were scheduled.
   */
  public void at(long nanos, Runnable action) {
    if (nanos < now) {
      throw new IllegalArgumentException(
          "nanos must be in [" + now + ", " + Long.MAX_VALUE + "] but was " + nanos);
    }
    if (action == null) {
      throw new IllegalArgumentException("action must not be null");
    }
    if (size == times.length) {
      int capacity = size << 1;
      times = Arrays.copyOf(times, capacity);
      sequences = Arrays.copyOf(sequences, capacity);
      actions = Arrays.copyOf(actions, capacity);
    }
    siftUp(size++, nanos, sequence++, action);
  }

  /** Schedules {@code action} {@code delayNanos} (zero or more) after the current time. */
  public void after(long delayNanos, Runnable action) {
    if (delayNanos < 0) {
      throw new IllegalArgumentException(
          "delayNanos must be in [0, " + Long.MAX_VALUE + "] but was " + delayNanos);
    }
    at(now + delayNanos, action);
  }

  /**
   * Runs events in time order until none is left at or before {@code endNanos}, including those
   * the running events schedule. The clock stays at the time of the last event run.
   */
  public void runUntil(long endNanos) {
    while (size > 0 && times[0] <= endNanos) {
      now = times[0];
      Runnable action = actions[0];
      removeFirst();
      action.run();
    }
  }

  /** Runs events until none is left. */
  public void runAll() {
    runUntil(Long.MAX_VALUE);
  }

  private void removeFirst() {
    int last = --size;
    long t = times[last];
    long s = sequences[last];
    Runnable a = actions[last];
    actions[last] = null;
    if (last > 0) {
      siftDown(t, s, a);
    }
  }

  private void siftUp(int index, long t, long s, Runnable a) {
    while (index > 0) {
      int parent = (index - 1) >>> 1;
      if (!before(t, s, times[parent], sequences[parent])) {
        break;
      }
      move(parent, index);
      index = parent;
    }
    set(index, t, s, a);
  }

  private void siftDown(long t, long s, Runnable a) {
    int index = 0;
    int half = size >>> 1;
    while (index < half) {
      int child = (index << 1) + 1;
      int right = child + 1;
      if (right < size && before(times[right], sequences[right], times[child], sequences[child])) {
        child = right;
      }
      if (!before(times[child], sequences[child], t, s)) {
        break;
      }
      move(child, index);
      index = child;
    }
    set(index, t, s, a);
  }

  private static boolean before(long t1, long s1, long t2, long s2) {
    return t1 < t2 || (t1 == t2 && s1 < s2);
  }

  private void move(int from, int to) {
    times[to] = times[from];
    sequences[to] = sequences[from];
    actions[to] = actions[from];
  }

  private void set(int index, long t, long s, Runnable a) {
    times[index] = t;
    sequences[index] = s;
    actions[index] = a;
  }
}
