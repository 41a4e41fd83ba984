package io.sluice;

import io.sluice.detector.OverloadDetector;
import io.sluice.internal.Args;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Configures and builds a {@link Limiter}. Every setter checks its argument at once and throws an
 * {@link IllegalArgumentException} naming the parameter, the value and the allowed range.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th></tr>
 *   <tr><td>{@link #algorithm}</td><td>{@code VegasLimit.newBuilder()}: Vegas with its defaults
 *       </td></tr>
 *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
 *   <tr><td>{@link #window}</td><td>100 ms to 1 s, at least 20 samples</td></tr>
 *   <tr><td>{@link #retryAfter}</td><td>10 ms to 60 s</td></tr>
 *   <tr><td>{@link #retryAfterJitter}</td><td>0.5</td></tr>
 *   <tr><td>{@link #maxSamplingPeriod}</td><td>64</td></tr>
 *   <tr><td>{@link #priorityShares}</td>
 *       <td>CRITICAL 0.9, SHEDDABLE_PLUS 0.8, SHEDDABLE 0.7</td></tr>
 *   <tr><td>{@link #monitorOnly}</td><td>false: the limiter refuses</td></tr>
 *   <tr><td>{@link #listener}, {@link #rejectionListener}</td><td>none</td></tr>
 *   <tr><td>{@link #detectors}</td><td>none</td></tr>
 * </table>
 *
 * <p>{@link #build()} may be called more than once: each call builds a limiter of its own, with an
 * algorithm of its own, and changes nothing in the builder. Not thread-safe; build on one thread,
 * then share the limiter.
 */
public final class LimiterBuilder {
  private static final Duration MIN_WINDOW_FLOOR = Duration.ofMillis(1);
  private static final Duration WINDOW_CEILING = Duration.ofHours(1);
  private static final Duration RETRY_AFTER_CEILING = Duration.ofDays(1);

  /**
   * The library's stateful algorithms that a limiter owns, held weakly: a factory that hands one
   * out again is refused (see build()). Identity: these classes do not override equals.
   */
  private static final Map<LimitAlgorithm, Boolean> OWNED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private Supplier<? extends LimitAlgorithm> algorithm = VegasLimit.newBuilder();
  NanoClock clock = NanoClock.system();
  final List<LimitListener> listeners = new ArrayList<>();
  RejectionListener rejectionListener;
  long minWindowNanos = Duration.ofMillis(100).toNanos();
  long maxWindowNanos = Duration.ofSeconds(1).toNanos();
  int minWindowSamples = 20;
  long minRetryAfterNanos = Duration.ofMillis(10).toNanos();
  long maxRetryAfterNanos = Duration.ofSeconds(60).toNanos();
  double retryAfterJitter = 0.5;
  int maxSamplingPeriod = 64;
  /** The share of the limit of each level, by ordinal, while shares are in force. */
  final double[] shares = {1.0, 0.9, 0.8, 0.7};
  boolean monitorOnly;
  final List<OverloadDetector> detectors = new ArrayList<>();

  LimiterBuilder() {}

  /**
   * Sets the factory of the limit algorithm, called once per {@link #build()}: an algorithm keeps
   * per-limiter state, so each limiter gets one of its own. Every algorithm builder is such a
   * factory ({@code algorithm(VegasLimit.newBuilder().queue(2, 4))}), a {@code FixedLimit} is one
   * of itself (it is immutable: {@code algorithm(FixedLimit.of(20))}), and a custom algorithm's
   * constructor is one ({@code algorithm(MyLimit::new)}).
   */
  public LimiterBuilder algorithm(Supplier<? extends LimitAlgorithm> factory) {
    this.algorithm = Args.notNull("algorithm", factory);
    return this;
  }

  /** Sets the clock; tests pass sluice-testing's {@code ManualClock}. */
  public LimiterBuilder clock(NanoClock clock) {
    this.clock = Args.notNull("clock", clock);
    return this;
  }

  /**
   * Adds a listener told of every closed window and the limit it set (the hook for limit changes);
   * listeners run in the order added, on the thread that closed the window.
   */
  public LimiterBuilder listener(LimitListener listener) {
    listeners.add(Args.notNull("listener", listener));
    return this;
  }

  /**
   * Sets the listener told of every rejected acquisition, on the reject path (see
   * {@link RejectionListener}); none by default, which costs the reject path a null check.
   */
  public LimiterBuilder rejectionListener(RejectionListener listener) {
    this.rejectionListener = Args.notNull("rejectionListener", listener);
    return this;
  }

  /**
   * Sets how windows are cut. A window closes when it is at least {@code min} old and holds at
   * least {@code minSamples} samples (latency samples plus drops), or when it is {@code max} old and
   * holds anything at all. A quiet window is therefore merged with the next period instead of being
   * discarded, and the algorithm keeps adapting at low traffic.
   *
   * @param min in [1 ms, 1 h]
   * @param max in [min, 1 h]
   * @param minSamples in [1, 1000000]
   */
  public LimiterBuilder window(Duration min, Duration max, int minSamples) {
    long minNanos = Args.nanosInRange("window min", min, MIN_WINDOW_FLOOR, WINDOW_CEILING);
    long maxNanos = Args.nanosInRange("window max", max, min, WINDOW_CEILING);
    this.minWindowSamples = Args.inRange("window minSamples", minSamples, 1, 1_000_000);
    this.minWindowNanos = minNanos;
    this.maxWindowNanos = maxNanos;
    return this;
  }

  /**
   * Sets the range of the Retry-After hint. The advertised hint, jitter included, never falls
   * below {@code min} nor reaches beyond {@code max}.
   *
   * @param min in [0, 1 day]
   * @param max in [min * (1 + jitter), 1 day]
   */
  public LimiterBuilder retryAfter(Duration min, Duration max) {
    long minNanos = Args.nanosInRange("retryAfter min", min, Duration.ZERO, RETRY_AFTER_CEILING);
    long maxNanos = Args.nanosInRange("retryAfter max", max, min, RETRY_AFTER_CEILING);
    this.minRetryAfterNanos = minNanos;
    this.maxRetryAfterNanos = maxNanos;
    return this;
  }

  /**
   * Sets the jitter: a rejection advertises the estimate times a uniform factor in
   * {@code [1, 1 + jitter)}, so that refused clients do not come back in lock-step.
   *
   * @param jitter in [0, 1]
   */
  public LimiterBuilder retryAfterJitter(double jitter) {
    this.retryAfterJitter = Args.inRange("retryAfterJitter", jitter, 0.0, 1.0);
    return this;
  }

  /**
   * Sets the largest sampling period: at high traffic the limiter times one request in {@code 2^k}
   * (reading the clock at acquire and release), with {@code 2^k} chosen per window so that a window
   * holds about a thousand latency samples, and never above this period. 1 times every request.
   * Counts and drops are always exact.
   *
   * @param period a power of two in [1, 1024]
   */
  public LimiterBuilder maxSamplingPeriod(int period) {
    Args.inRange("maxSamplingPeriod", period, 1, 1024);
    if (Integer.bitCount(period) != 1) {
      throw new IllegalArgumentException(
          "maxSamplingPeriod must be a power of two in [1, 1024] but was " + period);
    }
    this.maxSamplingPeriod = period;
    return this;
  }

  /**
   * Sets the share of the limit each priority level may fill while it is under pressure from a
   * higher level; {@link Priority#CRITICAL_PLUS} may always fill the whole limit. Work of a level
   * is admitted only if the units in flight, its cost included, stay within its share (rounded
   * down); otherwise it is refused with {@link RejectReason#PRIORITY_SHED}, leaving the rest of the
   * limit to the levels above. Shares are in force only under contention: from a refusal of a
   * higher level until a few windows pass in which no higher level was refused or used the room
   * reserved for it. Below that, every level may use the whole limit. See
   * {@link Limiter#tryAcquire(int, Priority)}.
   *
   * @param critical the share of {@link Priority#CRITICAL} (and of work without a priority), in
   *     [sheddablePlus, 1]
   * @param sheddablePlus the share of {@link Priority#SHEDDABLE_PLUS}, in [sheddable, critical]
   * @param sheddable the share of {@link Priority#SHEDDABLE}, in [0, sheddablePlus]
   */
  public LimiterBuilder priorityShares(double critical, double sheddablePlus, double sheddable) {
    Args.inRange("priorityShares critical", critical, 0.0, 1.0);
    Args.inRange("priorityShares sheddablePlus", sheddablePlus, 0.0, critical);
    Args.inRange("priorityShares sheddable", sheddable, 0.0, sheddablePlus);
    shares[Priority.CRITICAL.ordinal()] = critical;
    shares[Priority.SHEDDABLE_PLUS.ordinal()] = sheddablePlus;
    shares[Priority.SHEDDABLE.ordinal()] = sheddable;
    return this;
  }

  /**
   * Sets whether the limiter starts monitor-only (shadow mode): it computes its limit and counts
   * and reports every refusal it would make, but admits the work; see
   * {@link Limiter#monitorOnly(boolean)}, which switches at run time.
   */
  public LimiterBuilder monitorOnly(boolean monitorOnly) {
    this.monitorOnly = monitorOnly;
    return this;
  }

  /**
   * Adds overload detectors the limiter reads (see {@link #detector(OverloadDetector)}); the same
   * checks apply to each.
   */
  public LimiterBuilder detectors(OverloadDetector... detectors) {
    Args.notNull("detectors", detectors);
    for (OverloadDetector detector : detectors) {
      detector(detector);
    }
    return this;
  }

  /**
   * Adds an overload detector. While any of the limiter's detectors reads ELEVATED or SEVERE, each
   * window that closes counts as congested ({@link io.sluice.limit.WindowStats#overloaded()}: the
   * adaptive algorithms back off); while one reads SEVERE, {@link Priority#SHEDDABLE} work is
   * refused at once with {@link RejectReason#PROCESS_OVERLOADED}. The admit path reads each
   * detector's signal (a volatile read) only for SHEDDABLE work. The limiter neither starts nor
   * closes the detector: its owner does, and may share it between limiters.
   *
   * @throws IllegalArgumentException if {@code detector} is null, or already added, or has the
   *     name of one already added
   */
  public LimiterBuilder detector(OverloadDetector detector) {
    Args.notNull("detector", detector);
    String name = Args.notNull("detector name", detector.name());
    for (OverloadDetector added : detectors) {
      if (added == detector || added.name().equals(name)) {
        throw new IllegalArgumentException("detector must not repeat a detector or a name already "
            + "added but was " + detector + " named \"" + name + "\"");
      }
    }
    detectors.add(detector);
    return this;
  }

  /**
   * Builds a limiter; the builder may go on to build more, each with its own algorithm. The
   * algorithm factory is called once, and the algorithm's bounds are read once, here, and checked:
   * its {@code maxLimit()} must lie in {@code [1, LimitAlgorithm.MAX_SUPPORTED_LIMIT]}, its
   * {@code minLimit()} in {@code [1, maxLimit()]} and its {@code initialLimit()} in
   * {@code [minLimit(), maxLimit()]}.
   *
   * @throws IllegalArgumentException if the algorithm reports bounds outside those ranges (the
   *     message names the algorithm's class, the method, the value and the range), or if the
   *     Retry-After range cannot hold the jitter
   * @throws IllegalStateException if the factory returns null, or a {@code VegasLimit},
   *     {@code AimdLimit} or {@code GradientLimit} that a limiter already owns (two limiters
   *     would share its state, written by both window closers)
   */
  public Limiter build() {
    long lowestMax = (long) Math.ceil(minRetryAfterNanos * (1.0 + retryAfterJitter));
    if (maxRetryAfterNanos < lowestMax) {
      throw new IllegalArgumentException("retryAfter max must be in [" + lowestMax + "ns, "
          + RETRY_AFTER_CEILING.toNanos() + "ns] (min * (1 + jitter)) but was "
          + maxRetryAfterNanos + "ns");
    }
    LimitAlgorithm chosen = algorithm.get();
    if (chosen == null) {
      throw new IllegalStateException("the algorithm factory " + algorithm + " returned null");
    }
    int max = reported(chosen, "maxLimit()", chosen.maxLimit(), 1,
        LimitAlgorithm.MAX_SUPPORTED_LIMIT);
    int min = reported(chosen, "minLimit()", chosen.minLimit(), 1, max);
    int initial = reported(chosen, "initialLimit()", chosen.initialLimit(), min, max);
    claim(chosen);
    return new WindowedLimiter(this, chosen, min, initial, max);
  }

  /**
   * Refuses an algorithm of the library's that a limiter already owns: its state (the RTT
   * baseline, the pooled windows) is plain fields that one window closer at a time may write.
   * FixedLimit is immutable, and a custom algorithm may be too: neither is checked.
   */
  private static void claim(LimitAlgorithm chosen) {
    boolean stateful = chosen instanceof VegasLimit || chosen instanceof AimdLimit
        || chosen instanceof GradientLimit;
    if (stateful && OWNED.putIfAbsent(chosen, Boolean.TRUE) != null) {
      throw new IllegalStateException("the algorithm " + chosen + " already belongs to a limiter:"
          + " give algorithm(...) a factory of new instances, such as the algorithm's builder ("
          + "algorithm(VegasLimit.newBuilder())), not a supplier of one shared instance");
    }
  }

  /**
   * Returns {@code value}, what {@code algorithm.method} reported, if it lies in
   * {@code [low, high]}; a custom algorithm is checked here because its own constructor may not be.
   */
  private static int reported(
      LimitAlgorithm algorithm, String method, int value, int low, int high) {
    if (value < low || value > high) {
      throw new IllegalArgumentException("limit algorithm " + algorithm.getClass().getName() + ": "
          + method + " must be in [" + low + ", " + high + "] but was " + value);
    }
    return value;
  }
}
