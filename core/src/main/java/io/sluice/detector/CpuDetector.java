package io.sluice.detector;

import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Detects that the process uses all the CPU it may: its CPU time over the last window, divided by
 * the window and by the cores it may use. Past about 90%, runnable threads queue for a core, and
 * in a container the kernel throttles the process once its quota is spent, which stalls every
 * thread for the rest of the quota period.
 *
 * <p>The cores are, in this order: the count set with {@link Builder#cores}; else the CPU quota of
 * the process's cgroup (v1 {@code cpu.cfs_quota_us / cpu.cfs_period_us}, v2 {@code cpu.max}; the
 * smallest along the path to the hierarchy's root), as a fraction, when it is below
 * {@link Runtime#availableProcessors()}; else {@code availableProcessors()}. Some container
 * runtimes hide or misreport the quota (and some JVMs count CPU shares as cores): set the count by
 * hand there. The count is read when the detector is built; see {@link #cores()}.
 *
 * <p>The process CPU time comes from {@code com.sun.management.OperatingSystemMXBean} (the
 * {@code jdk.management} module). Where that is missing the detector is not
 * {@linkplain #available() available} and reads NONE.
 *
 * <p>The {@linkplain OverloadSignal#value() value} is the load: the share of the cores used over
 * the window, 1 when all are busy. Cost: one thread that wakes every period (10 times a second by
 * default) and reads the process CPU time (a system call).
 *
 * <table>
 *   <caption>Defaults and ranges</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th></tr>
 *   <tr><td>{@link Builder#period}</td><td>100 ms</td><td>[1 ms, 1 min]</td></tr>
 *   <tr><td>{@link Builder#window}</td><td>1 s</td>
 *       <td>[period, 10000 periods], at most 1 h</td></tr>
 *   <tr><td>{@link Builder#thresholds} ELEVATED / SEVERE</td><td>0.85 / 0.95</td>
 *       <td>(0, 1], elevated &le; severe</td></tr>
 *   <tr><td>{@link Builder#cores}</td><td>detected as above</td><td>[0.01, 100000]</td></tr>
 * </table>
 *
 * <p>Thread-safe: see {@link OverloadDetector}.
 */
public final class CpuDetector implements OverloadDetector {
  private final Sampler sampler;
  private final Load load;

  private CpuDetector(Builder b, double cores) {
    Thresholds thresholds = new Thresholds(b.elevated, b.severe);
    this.load = new Load(b.cpuTime, cores, b.settings.slots(), thresholds);
    this.sampler = b.settings.sampler(load);
  }

  /** Returns a builder with the defaults above. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Returns the cores the load is divided by. */
  public double cores() {
    return load.cores;
  }

  /** Returns whether this JVM reports its process CPU time; if not, the detector reads NONE. */
  public boolean available() {
    return load.cpuTime.getAsLong() >= 0;
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
    return "CpuDetector[" + sampler + ", " + load.thresholds + ", cores=" + load.cores + "]";
  }

  /** The CPU time of the process where {@code jdk.management} is present, else -1. */
  static LongSupplier platformCpuTime() {
    if (JdkManagement.present()) {
      try {
        return ProcessCpuTime.create();
      } catch (LinkageError e) {
        // In the image but not readable here: unavailable.
      }
    }
    return () -> -1L;
  }

  /** The load over the window; state owned by the sampling thread. */
  private static final class Load implements Sampler.Probe {
    final LongSupplier cpuTime;
    final double cores;
    final RateWindow window;
    final Thresholds thresholds;

    Load(LongSupplier cpuTime, double cores, int slots, Thresholds thresholds) {
      this.cpuTime = cpuTime;
      this.cores = cores;
      this.window = new RateWindow(slots);
      this.thresholds = thresholds;
    }

    @Override
    public void open(long nowNanos) {
      long used = cpuTime.getAsLong();
      if (used >= 0) {
        window.add(nowNanos, used);
      }
    }

    @Override
    public OverloadSignal sample(long sleptFromNanos, long nowNanos) {
      long used = cpuTime.getAsLong();
      if (used < 0) {
        return OverloadSignal.none(nowNanos);
      }
      return thresholds.judge(window.add(nowNanos, used) / cores, nowNanos);
    }
  }

  /**
   * Configures a {@link CpuDetector}. Every setter checks its arguments and throws an
   * {@link IllegalArgumentException} naming the parameter, the value and the allowed range. Not
   * thread-safe.
   */
  public static final class Builder {
    private final Settings settings =
        new Settings("cpu", Duration.ofMillis(100), Duration.ofSeconds(1));
    private double elevated = 0.85;
    private double severe = 0.95;
    private double cores;
    private Path cgroupRoot = Path.of("/");
    private IntSupplier processors = Runtime.getRuntime()::availableProcessors;
    private LongSupplier cpuTime = CpuDetector.platformCpuTime();

    private Builder() {}

    /** Sets the name in metrics and health output and in the thread's name; default "cpu". */
    public Builder name(String name) {
      settings.name(name);
      return this;
    }

    /**
     * Sets how often the CPU time is read.
     *
     * @param period in [1 ms, 1 min]
     */
    public Builder period(Duration period) {
      settings.period(period);
      return this;
    }

    /**
     * Sets the window the load is averaged over.
     *
     * @param window in [period, 10000 periods], at most 1 h
     */
    public Builder window(Duration window) {
      settings.window(window);
      return this;
    }

    /**
     * Sets the loads (shares of the cores) at which the detector reads ELEVATED and SEVERE.
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

    /**
     * Sets the cores the process may use, instead of detecting them: for runtimes whose quota
     * detection is wrong. Fractions are fine (a quota of 1.5 CPUs is 1.5).
     *
     * @param cores in [0.01, 100000]
     */
    public Builder cores(double cores) {
      this.cores = Args.inRange("cores", cores, 0.01, 100_000.0);
      return this;
    }

    /** Sets the directory that holds {@code proc/} and {@code sys/}; tests pass fixture trees. */
    Builder cgroupRoot(Path root) {
      this.cgroupRoot = Args.notNull("cgroupRoot", root);
      return this;
    }

    /** Sets the processor count that bounds the quota; tests pass a constant. */
    Builder availableProcessors(IntSupplier processors) {
      this.processors = Args.notNull("availableProcessors", processors);
      return this;
    }

    /** Sets the source of the process CPU time in nanoseconds, -1 if none; tests pass a fake. */
    Builder cpuTime(LongSupplier cpuTime) {
      this.cpuTime = Args.notNull("cpuTime", cpuTime);
      return this;
    }

    /** Sets the clock and the sleeper; tests pass a {@code ManualClock} and a sleeper moving it. */
    Builder time(NanoClock clock, Sleeper sleeper) {
      settings.time(clock, sleeper);
      return this;
    }

    /**
     * Builds the detector, reading the core count now; it samples once
     * {@link CpuDetector#start() started}.
     *
     * @throws IllegalArgumentException if the window is shorter than the period or longer than
     *     10000 periods
     */
    public CpuDetector build() {
      return new CpuDetector(this, cores > 0 ? cores : detectCores(cgroupRoot, processors));
    }

    /** Returns the cgroup quota, if any, bounded by the available processors. */
    static double detectCores(Path cgroupRoot, IntSupplier processors) {
      double available = Math.max(1, processors.getAsInt());
      OptionalDouble quota = CgroupCpu.quota(cgroupRoot);
      return quota.isPresent() ? Math.min(available, quota.getAsDouble()) : available;
    }
  }
}
