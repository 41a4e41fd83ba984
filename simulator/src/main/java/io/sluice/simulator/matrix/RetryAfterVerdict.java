package io.sluice.simulator.matrix;

import io.sluice.simulator.SimulationResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Retry-After targets on one cell, for a limiter's run. For each refusal the simulation
 * measured the truth (the time until a request arriving then would have been admitted) and the
 * reference (the largest of the truth, the median round-trip time of the last second and the
 * limiter's configured minimum hint: a refused client should come back no sooner than the server
 * turns its work in flight over once, and no later than needed). In steady overload (the cells with an {@link Check.Kind#OVERLOAD} check:
 * constant load of 2x to 10x), the hint before jitter (as the tickets of limiters without jitter
 * carry it) must lie within {@link #LOW} to
 * {@link #HIGH} times its reference at the median, and at the 10th percentile it must not fall
 * below the truth by more than the jitter reaches: {@code hint * (1 + jitter) >= truth}. Other
 * cells are reported, not judged: an event (a stall, capacity halving) makes the truth jump in a
 * way no estimate made before it can know.
 *
 * @param cell the cell
 * @param run the limiter's run on it
 */
record RetryAfterVerdict(Cell cell, SimulationResult run) {
  /** The lowest hint / reference at the median. */
  static final double LOW = 0.5;
  /** The highest hint / reference at the median. */
  static final double HIGH = 2.0;
  /** The jitter of the limiters the matrix builds (the builder's default). */
  static final double JITTER = 0.5;
  /** Their smallest hint (the builder's default): no reference falls below it. */
  static final Duration FLOOR = Duration.ofMillis(10);

  /** Returns whether the targets apply: steady overload, and refusals whose truth was measured. */
  boolean judged() {
    return cell.has(Check.Kind.OVERLOAD) && run.retryAfterSamples() > 0;
  }

  /** Returns the hint over its reference at the median. */
  double referenceRatio() {
    return run.retryAfterReferenceRatio(0.5);
  }

  /** Returns the hint over the truth at the 10th percentile. */
  double truthRatio() {
    return run.retryAfterRatio(0.1);
  }

  /**
   * Returns how far the worst figure lies from its target: above 1 met with room, below 1 missed
   * by that factor; 10 where nothing is judged.
   */
  double margin() {
    if (!judged()) {
      return 10;
    }
    double ref = referenceRatio();
    double m = Math.min(ref / LOW, HIGH / ref);
    return Math.min(10, Math.min(m, truthRatio() * (1 + JITTER)));
  }

  /** Returns whether every target that applies is met. */
  boolean passed() {
    return margin() >= 1;
  }

  /** Returns the figures that missed their target, or "" when none did. */
  String missed() {
    if (!judged()) {
      return "";
    }
    List<String> missed = new ArrayList<>();
    double ref = referenceRatio();
    if (ref < LOW || ref > HIGH) {
      missed.add(String.format(Locale.ROOT, "hint/reference p50 %.2f outside [%.1f, %.1f]", ref,
          LOW, HIGH));
    }
    if (truthRatio() * (1 + JITTER) < 1) {
      missed.add(String.format(Locale.ROOT, "hint/truth p10 %.2f below 1/(1 + %.1f)",
          truthRatio(), JITTER));
    }
    return String.join("; ", missed);
  }
}
