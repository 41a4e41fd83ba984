package io.sluice.detector;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Detects garbage-collection trouble: the share of time the JVM spent in stop-the-world pauses
 * over the last window. A long full collection, or back-to-back collections of a heap that is too
 * small, stop every request; the share rises within one period of the pause's end, before the
 * requests it delayed complete.
 *
 * <p>The pauses come from the JVM's GC notifications ({@code com.sun.management}, in the
 * {@code jdk.management} module) where present, otherwise from the collection times that the
 * {@code GarbageCollectorMXBean}s report, polled each period. Only stop-the-world collections
 * count; the concurrent cycles of ZGC and Shenandoah do not. A pause is counted in full when it
 * ends, so a window can read up to 1.
 *
 * <p>The {@linkplain OverloadSignal#value() value} is the paused share of the window, in [0, 1].
 * Cost: one thread that wakes every period (10 times a second by default) and reads one counter;
 * with notifications, a listener that the JVM calls after each collection.
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th></tr>
 *   <tr><td>{@link Builder#period}</td><td>100 ms</td><td>[1 ms, 1 min]</td></tr>
 *   <tr><td>{@link Builder#window}</td><td>1 s</td>
 *       <td>[period, 10000 periods], at most 1 h</td></tr>
 *   <tr><td>{@link Builder#thresholds} ELEVATED / SEVERE</td><td>0.1 / 0.3 of the window</td>
 *       <td>(0, 1], elevated &le; severe</td></tr>
 * </table>
 *
 * <p>Thread-safe: see {@link OverloadDetector}.
 */
public final class GcDetector implements OverloadDetector {

  private final Sampler sampler;
  private final Share share;

  private GcDetector(Builder b) {
    this.share = new Share(b.source, b.settings.slots(), new Thresholds(b.elevated, b.severe));
    this.sampler = b.settings.sampler(share);
  }

  /** Returns a builder with the defaults above. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String name() {
    return sampler.name();
  }

  @Override
  public OverloadSignal signal() {
    return sampler.signal();
  }

  @Override
  public boolean watch(Runnable onChange) {
    Args.notNull("onChange", onChange);
    sampler.watch(onChange);
    return true;
  }

  @Override
  public void start() {
    sampler.start();
  }

  @Override
  public void close() {
    sampler.close();
  }

  /** The sampler, for tests that drive it in virtual time. */
  Sampler sampler() {
    return sampler;
  }

  @Override
  public String toString() {
    return "GcDetector[" + sampler + ", " + share.thresholds + ", " + share.source + "]";
  }

  /**
   * The paused share of the window. The source is created when the detector starts (a listener
   * registers then) and closed with it; both under the sampler's lifecycle lock.
   */
  private static final class Share implements Sampler.Probe {
    final Supplier<GcPauses> factory;
    final RateWindow window;
    final Thresholds thresholds;
    GcPauses source;

    Share(Supplier<GcPauses> factory, int slots, Thresholds thresholds) {
      this.factory = factory;
      this.window = new RateWindow(slots);
      this.thresholds = thresholds;
    }

    @Override
    public void open(long nowNanos) {
      source = factory.get();
      window.add(nowNanos, source.totalPauseNanos());
    }

    @Override
    public OverloadSignal sample(long sleptFromNanos, long nowNanos) {
      double paused = window.add(nowNanos, source.totalPauseNanos());
      return thresholds.judge(Math.min(1.0, paused), nowNanos);
    }

    @Override
    public void close() {
      source.close();
    }
  }

  /**
   * Configures a {@link GcDetector}. Every setter checks its arguments and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range. Not
   * thread-safe.
   */
  public static final class Builder {
    private final Settings settings =
        new Settings("gc", Duration.ofMillis(100), Duration.ofSeconds(1));
    private double elevated = 0.1;
    private double severe = 0.3;
    private Supplier<GcPauses> source = GcPauses::platform;

    private Builder() {}

    /** Sets the name in metrics and health output and in the thread's name; default "gc". */
    public Builder name(String name) {
      settings.name(name);
      return this;
    }

    /**
     * Sets how often the pause time is read.
     *
     * @param period in [1 ms, 1 min]
     */
    public Builder period(Duration period) {
      settings.period(period);
      return this;
    }

    /**
     * Sets the window the paused share is measured over: a pause counts for about this long.
     *
     * @param window in [period, 10000 periods], at most 1 h
     */
    public Builder window(Duration window) {
      settings.window(window);
      return this;
    }

    /**
     * Sets the paused shares of the window at which the detector reads ELEVATED and SEVERE.
     *
     * @param elevated in (0, 1]
     * @param severe in [elevated, 1]
     */
    public Builder thresholds(double elevated, double severe) {
      double e = Args.inOpenClosed("elevated", elevated, 0.0, 1.0);
      double s = Args.inRange("severe", severe, e, 1.0);
      this.elevated = e;
      this.severe = s;
      return this;
    }

    /** Sets where pause times come from; tests pass a fake. */
    Builder source(Supplier<GcPauses> source) {
      this.source = Args.notNull("source", source);
      return this;
    }

    /** Sets the clock and the sleeper; tests pass a {@code ManualClock} and a sleeper moving it. */
    Builder time(NanoClock clock, Sleeper sleeper) {
      settings.time(clock, sleeper);
      return this;
    }

    /**
     * Builds the detector; it listens and samples once {@link GcDetector#start() started}.
     *
     * @throws IllegalArgumentException if the window is shorter than the period or longer than
     *     10000 periods
     */
    public GcDetector build() {
      return new GcDetector(this);
    }
  }
}
