package io.sluice.detector;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.time.Duration;

/*
 * Lag sampling: each round notes the clock, sleeps one period and notes the clock again; the lag
 * is (elapsed - period), at least 0. A stall of length S that covers a wake-up shows as one lag of
 * between S - period and S, so the period bounds the error. The window keeps the last
 * ceil(window / period) lags and judges their maximum: a stall is one late wake-up, which any
 * quantile below the maximum would hide, and a saturated CPU makes many wake-ups late, which the
 * maximum sees too. A lag stays in the window for about one window after the stall ends.
 */
/**
 * Detects that the process is not getting the CPU when it needs it: a daemon thread sleeps a fixed
 * period and measures how late it wakes up. It is late when every core is busy (a saturated
 * machine, a noisy neighbour), when a container's CPU quota is spent and the kernel throttles the
 * process, and during stop-the-world pauses (GC, safepoints), because it can only run again once
 * they end. Requests in the process are late by as much, so this is the most general early signal.
 *
 * <p>The {@linkplain OverloadSignal#value() value} is the largest lag, in seconds, among the
 * wake-ups of the last window. Cost: one thread that wakes every period (20 times a second by
 * default) and does a few arithmetic operations.
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th></tr>
 *   <tr><td>{@link Builder#period}</td><td>50 ms</td><td>[1 ms, 1 min]</td></tr>
 *   <tr><td>{@link Builder#window}</td><td>1 s</td>
 *       <td>[period, 10000 periods], at most 1 h</td></tr>
 *   <tr><td>{@link Builder#thresholds} ELEVATED / SEVERE</td><td>100 ms / 500 ms</td>
 *       <td>[1 ms, 1 h], elevated &le; severe</td></tr>
 * </table>
 *
 * <p>Thread-safe: see {@link OverloadDetector}.
 */
public final class HeartbeatDetector implements OverloadDetector {
  private static final double NANOS_PER_SECOND = 1e9;

  private final Sampler sampler;
  private final Lags lags;

  private HeartbeatDetector(Builder b) {
    this.lags = new Lags(b.settings.slots(), b.settings.period.toNanos(), new Thresholds(
        b.elevatedNanos / NANOS_PER_SECOND, b.severeNanos / NANOS_PER_SECOND));
    this.sampler = b.settings.sampler(lags);
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
    return "HeartbeatDetector[" + sampler + ", " + lags.thresholds + " s]";
  }

  /** The window of lags; state owned by the sampling thread. */
  private static final class Lags implements Sampler.Probe {
    final LongRing window;
    final long periodNanos;
    final Thresholds thresholds;

    Lags(int slots, long periodNanos, Thresholds thresholds) {
      this.window = new LongRing(slots);
      this.periodNanos = periodNanos;
      this.thresholds = thresholds;
    }

    @Override
    public OverloadSignal sample(long sleptFromNanos, long nowNanos) {
      window.push(Math.max(0L, nowNanos - sleptFromNanos - periodNanos));
      return thresholds.judge(window.max() / NANOS_PER_SECOND, nowNanos);
    }
  }

  /**
   * Configures a {@link HeartbeatDetector}. Every setter checks its arguments and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range. Not
   * thread-safe.
   */
  public static final class Builder {
    private static final Duration MAX_THRESHOLD = Duration.ofHours(1);

    private final Settings settings =
        new Settings("heartbeat", Duration.ofMillis(50), Duration.ofSeconds(1));
    private long elevatedNanos = Duration.ofMillis(100).toNanos();
    private long severeNanos = Duration.ofMillis(500).toNanos();

    private Builder() {}

    /** Sets the name in metrics and health output and in the thread's name; default "heartbeat". */
    public Builder name(String name) {
      settings.name(name);
      return this;
    }

    /**
     * Sets how long the thread sleeps between wake-ups: shorter sees stalls sooner and more
     * exactly, for more wake-ups.
     *
     * @param period in [1 ms, 1 min]
     */
    public Builder period(Duration period) {
      settings.period(period);
      return this;
    }

    /**
     * Sets how long a lag counts after it was measured.
     *
     * @param window in [period, 10000 periods], at most 1 h
     */
    public Builder window(Duration window) {
      settings.window(window);
      return this;
    }

    /**
     * Sets the lags at which the detector reads ELEVATED and SEVERE.
     *
     * @param elevated in [1 ms, 1 h]
     * @param severe in [elevated, 1 h]
     */
    public Builder thresholds(Duration elevated, Duration severe) {
      long e = Args.nanosInRange("elevated", elevated, Settings.MIN_PERIOD, MAX_THRESHOLD);
      long s = Args.nanosInRange("severe", severe, elevated, MAX_THRESHOLD);
      this.elevatedNanos = e;
      this.severeNanos = s;
      return this;
    }

    /** Sets the clock and the sleeper; tests pass a {@code ManualClock} and a sleeper moving it. */
    Builder time(NanoClock clock, Sleeper sleeper) {
      settings.time(clock, sleeper);
      return this;
    }

    /**
     * Builds the detector; it samples once {@link HeartbeatDetector#start() started}.
     *
     * @throws IllegalArgumentException if the window is shorter than the period or longer than
     *     10000 periods
     */
    public HeartbeatDetector build() {
      return new HeartbeatDetector(this);
    }
  }
}
