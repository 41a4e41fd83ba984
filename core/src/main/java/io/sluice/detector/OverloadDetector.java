package io.sluice.detector;

/**
 * Tells, at any time, whether and how strongly the process is overloaded, from a signal that
 * precedes request latency: scheduling lag, GC pauses, pool saturation, CPU use.
 *
 * <pre>{@code
 * OverloadDetector heartbeat = HeartbeatDetector.newBuilder().build();
 * heartbeat.start();
 * ...
 * if (heartbeat.signal().level() == OverloadLevel.SEVERE) {
 *   shedOptionalWork();
 * }
 * ...
 * heartbeat.close();
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #signal()} is what the admit path calls: one volatile read of an immutable
 *       {@link OverloadSignal}, from any thread, at any time; it never blocks, allocates or
 *       samples. The reading is as fresh as the detector's sampling period.
 *   <li>Sampling runs off the admit path, on the detector's own thread (or a notification thread
 *       of the JVM), from {@link #start()} to {@link #close()}.
 *   <li>Lifecycle: new, started, closed. Before {@code start} and after {@code close} the signal
 *       is {@link OverloadLevel#NONE}; {@code start} on a started detector does nothing, on a
 *       closed one throws {@link IllegalStateException}; {@code close} is idempotent and never
 *       throws. A detector whose sampling fails reads NONE (it fails open: a broken detector
 *       never sheds work).
 *   <li>A detector measures the process, not a limiter: one instance may be read by any number of
 *       limiters and guards.
 * </ul>
 *
 * <p>Implementations must be thread-safe as above. The shipped ones are {@link HeartbeatDetector},
 * {@link GcDetector}, {@link PoolSaturationDetector} and {@link CpuDetector}.
 */
public interface OverloadDetector extends AutoCloseable {

  /** Returns the detector's name, as in metrics and health output ("heartbeat", "gc", ...). */
  String name();

  /** Returns the latest reading: one volatile read; never blocks or allocates. */
  OverloadSignal signal();

  /**
   * Asks the detector to run {@code onChange} after each change of its level (on the thread that
   * published it, after the new signal is readable; also on close); returns false if it offers no
   * such notice, and a reader must poll {@link #signal()} instead. A limiter uses it to fold its
   * detectors into one word that its admit path reads. The shipped detectors return true and hold
   * {@code onChange} weakly (for as long as the caller keeps it), so a shared detector never keeps
   * a limiter alive; {@code onChange} must be quick and must not throw. The default returns false.
   */
  default boolean watch(Runnable onChange) {
    return false;
  }

  /** Starts sampling; does nothing if already started. */
  void start();

  /** Stops sampling and releases what the detector holds; the signal reads NONE from now on. */
  @Override
  void close();
}
