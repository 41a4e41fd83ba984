package io.sluice;

import io.sluice.detector.OverloadDetector;
import io.sluice.internal.Args;
import io.sluice.limit.AimdLimit;
import io.sluice.limit.GradientLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/*
 * The checks of Limiter.Builder that go beyond one argument's range: a sampling period that must
 * be a power of two, detectors that must not repeat, a Retry-After range that must hold the
 * jitter, the bounds an algorithm reports (a custom algorithm's constructor may check nothing),
 * and the rule that a stateful algorithm of the library belongs to one limiter.
 *
 * Ownership: VegasLimit, AimdLimit and GradientLimit keep their state (the RTT baseline, the
 * pooled windows) in plain fields that one window closer at a time may write, so a factory that
 * hands the same instance to two limiters is refused. The owned instances are held weakly, by
 * identity (these classes do not override equals), in a synchronized map: build() is not on a
 * hot path. FixedLimit is immutable, and a custom algorithm may be too: neither is checked.
 */
/** Limiter.Builder's checks across arguments and of the algorithm; see the design comment. */
final class LimiterBuilderChecks {
  /** The library's stateful algorithms that a limiter owns, held weakly. */
  private static final Map<LimitAlgorithm, Boolean> OWNED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private LimiterBuilderChecks() {}

  /** Returns {@code period} if it is a power of two in {@code [1, max]}. */
  static int powerOfTwo(String name, int period, int max) {
    Args.inRange(name, period, 1, max);
    if (Integer.bitCount(period) != 1) {
      throw new IllegalArgumentException(
          name + " must be a power of two in [1, " + max + "] but was " + period);
    }
    return period;
  }

  /** Adds {@code detector} unless it, or one of its name, was added already. */
  static void addDetector(List<OverloadDetector> added, OverloadDetector detector) {
    String name = Args.notNull("detector name", detector.name());
    for (OverloadDetector other : added) {
      if (other == detector || other.name().equals(name)) {
        throw new IllegalArgumentException("detector must not repeat a detector or a name "
            + "already added but was " + detector + " named \"" + name + "\"");
      }
    }
    added.add(detector);
  }

  /** Refuses a Retry-After range that cannot hold the jitter: max below min * (1 + jitter). */
  static void retryAfterRange(long minNanos, long maxNanos, double jitter, long ceilingNanos) {
    long lowestMax = (long) Math.ceil(minNanos * (1.0 + jitter));
    if (maxNanos < lowestMax) {
      throw new IllegalArgumentException("retryAfter max must be in [" + lowestMax + "ns, "
          + ceilingNanos + "ns] (min * (1 + jitter)) but was " + maxNanos + "ns");
    }
  }

  /** Calls the factory once; refuses null. */
  static LimitAlgorithm algorithm(Supplier<? extends LimitAlgorithm> factory) {
    LimitAlgorithm chosen = factory.get();
    if (chosen == null) {
      throw new IllegalStateException("the algorithm factory " + factory + " returned null");
    }
    return chosen;
  }

  /**
   * Returns {@code value}, what {@code algorithm.method} reported, if it lies in {@code [low,
   * high]}; a custom algorithm is checked here because its own constructor may not be.
   */
  static int reported(LimitAlgorithm algorithm, String method, int value, int low, int high) {
    if (value < low || value > high) {
      throw new IllegalArgumentException("limit algorithm " + algorithm.getClass().getName()
          + ": " + method + " must be in [" + low + ", " + high + "] but was " + value);
    }
    return value;
  }

  /** Refuses an algorithm of the library's that a limiter already owns (see the design comment). */
  static void claim(LimitAlgorithm chosen) {
    boolean stateful = chosen instanceof VegasLimit || chosen instanceof AimdLimit
        || chosen instanceof GradientLimit;
    if (stateful && OWNED.putIfAbsent(chosen, Boolean.TRUE) != null) {
      throw new IllegalStateException("the algorithm " + chosen + " already belongs to a limiter:"
          + " give algorithm(...) a factory of new instances, such as the algorithm's builder ("
          + "algorithm(VegasLimit.newBuilder())), not a supplier of one shared instance");
    }
  }
}
