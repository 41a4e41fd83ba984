package io.sluice.metrics.micrometer;

import io.sluice.NanoClock;
import io.sluice.metrics.LatencySnapshot;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/*
 * The interval behind a group of quantile gauges: the distribution recorded during the last
 * completed step, so that every gauge of one scrape reads the same interval and a scrape does not
 * consume it for the next (as polling an HdrHistogram Recorder per gauge would).
 *
 * State is an immutable (step start, cumulative snapshot at that start, interval) triple behind an
 * AtomicReference. The first poll at least one step after the start computes the next triple from
 * a fresh cumulative snapshot and installs it by compare-and-set; a poll that loses the race uses
 * the winner's. No lock, no waiting. It holds snapshots only, never the guard, so the meters that
 * use it do not keep the guard reachable.
 */
final class LatencyStep {
  private record State(long startNanos, LatencySnapshot cumulative, LatencySnapshot interval) {}

  private final NanoClock clock;
  private final long stepNanos;
  private final AtomicReference<State> state;

  LatencyStep(NanoClock clock, long stepNanos, LatencySnapshot cumulativeNow) {
    this.clock = clock;
    this.stepNanos = stepNanos;
    this.state = new AtomicReference<>(
        new State(clock.nanoTime(), cumulativeNow, LatencySnapshot.empty()));
  }

  /** Returns the last completed step's distribution, reading {@code source} when a step ends. */
  <T> LatencySnapshot interval(T source, Function<T, LatencySnapshot> cumulative) {
    long now = clock.nanoTime();
    State s = state.get();
    if (now - s.startNanos() < stepNanos) {
      return s.interval();
    }
    LatencySnapshot current = cumulative.apply(source);
    State next = new State(now, current, current.minus(s.cumulative()));
    return state.compareAndSet(s, next) ? next.interval() : state.get().interval();
  }
}
