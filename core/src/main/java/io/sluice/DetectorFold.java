package io.sluice;

import io.sluice.detector.OverloadDetector;
import io.sluice.detector.OverloadLevel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/*
 * A limiter's overload detectors, folded into one word its admit path reads.
 *
 * The word (WindowedLimiter.overload) holds the worst level of the detectors that watch
 * (OverloadDetector.watch returned true: every shipped one), as an OverloadLevel ordinal, and the
 * POLL bit if some detector does not (a custom one): those are read one by one, as before. So a
 * SHEDDABLE admission reads one volatile int and, for a limiter of shipped detectors only,
 * compares it: no loop, no call through the detector interface, whatever the number of
 * detectors. A limiter without detectors reads 0.
 *
 * Writers. Each watching detector runs this fold (run()) on its publishing thread after each
 * change of level, after its new signal is readable. run() rereads every watched detector and
 * stores the worst level; it holds the fold's monitor (only sampling threads take it, never the
 * admit path), so two detectors changing at once cannot store their readings out of order: the
 * last run() to store started after every publish that preceded it, and read them. The constructor
 * registers with each detector before its own run(), so a change in between is not lost; a run()
 * that a detector starts before registration ends stores nothing.
 *
 * The detectors hold this fold weakly; the limiter holds it, and the fold holds the limiter's
 * field block: a limiter that its users drop is not kept alive by a shared detector.
 */
/**
 * A limiter's detectors folded into one word; see the design comment. Thread-safe: any detector's
 * thread may run it, and the admit path reads the word without a lock.
 */
final class DetectorFold implements Runnable {
  /** Set in the word while some detector cannot tell its changes: read it at each admission. */
  static final int POLL = 1 << 2;
  /** The level bits of the word. */
  static final int LEVEL_MASK = POLL - 1;
  private static final int SEVERE = OverloadLevel.SEVERE.ordinal();
  private static final int NONE = OverloadLevel.NONE.ordinal();

  private final WindowedLimiter target;
  /** Null until registration ends: a watcher run before then stores nothing. */
  private volatile OverloadDetector[] watched;
  private OverloadDetector[] polled;

  DetectorFold(WindowedLimiter target, List<OverloadDetector> detectors) {
    this.target = target;
    List<OverloadDetector> watching = new ArrayList<>();
    List<OverloadDetector> polling = new ArrayList<>();
    for (OverloadDetector detector : detectors) {
      (detector.watch(this) ? watching : polling).add(detector);
    }
    this.polled = polling.toArray(new OverloadDetector[0]);
    this.watched = watching.toArray(new OverloadDetector[0]); // volatile: publishes polled
    run();
  }

  /** Stores the worst level of the watched detectors (see the design comment). */
  @Override
  public synchronized void run() {
    OverloadDetector[] detectors = watched;
    if (detectors == null) {
      return;
    }
    int worst = NONE;
    for (OverloadDetector detector : detectors) {
      worst = Math.max(worst, detector.signal().level().ordinal());
    }
    target.overload = worst | (polled.length == 0 ? 0 : POLL);
  }

  /** Whether the folded {@code word} or a polled detector reads SEVERE. */
  boolean severe(int word) {
    if ((word & LEVEL_MASK) == SEVERE) {
      return true;
    }
    if ((word & POLL) != 0) {
      for (OverloadDetector detector : polled) {
        if (detector.signal().level() == OverloadLevel.SEVERE) {
          return true;
        }
      }
    }
    return false;
  }

  /** Whether the folded {@code word} or a polled detector reads ELEVATED or SEVERE. */
  boolean overloaded(int word) {
    if ((word & LEVEL_MASK) != NONE) {
      return true;
    }
    if ((word & POLL) != 0) {
      for (OverloadDetector detector : polled) {
        if (detector.signal().level() != OverloadLevel.NONE) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "DetectorFold[watched=" + Arrays.toString(watched) + ", polled="
        + Arrays.toString(polled) + ", word=" + target.overload + "]";
  }
}
