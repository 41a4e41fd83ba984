package io.sluice.examples.http;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An open-loop schedule: arrival {@code i} is due at {@code start + i / rate}, whatever became of
 * the earlier ones. A ticker thread wakes every millisecond and fires every arrival that has come
 * due (several at once if it woke late), so arrivals never wait for responses. Fired on the ticker
 * thread, in order; an arrival must not block.
 */
final class OpenLoop {
  /** Receives one arrival: its index and when it was due (a reading of {@link System#nanoTime}). */
  @FunctionalInterface
  interface Arrival {
    void arrive(int index, long dueNanos);
  }

  private final double intervalNanos;
  private final int count;
  private final Arrival arrival;
  private long startNanos;
  private int next;
  private ScheduledFuture<?> ticks;

  private OpenLoop(double ratePerSecond, int count, Arrival arrival) {
    this.intervalNanos = 1e9 / ratePerSecond;
    this.count = count;
    this.arrival = arrival;
  }

  /** Starts firing {@code count} arrivals at {@code ratePerSecond} on {@code ticker}. */
  static void start(ScheduledExecutorService ticker, double ratePerSecond, int count,
      Arrival arrival) {
    OpenLoop loop = new OpenLoop(ratePerSecond, count, arrival);
    loop.startNanos = System.nanoTime();
    loop.ticks = ticker.scheduleAtFixedRate(loop::tick, 0, 1, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    long now = System.nanoTime();
    while (next < count) {
      long due = startNanos + (long) (next * intervalNanos);
      if (due > now) {
        return;
      }
      arrival.arrive(next++, due);
    }
    ticks.cancel(false);
  }
}
