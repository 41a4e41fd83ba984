package io.sluice.detector;

/** How overloaded an {@link OverloadDetector} finds the process, from calm to worst. */
public enum OverloadLevel {
  /** Below the detector's ELEVATED threshold (or the detector is not running). */
  NONE,
  /** At or above the ELEVATED threshold: treat the current window as congested and back off. */
  ELEVATED,
  /** At or above the SEVERE threshold: work queued now will be late; shed what may be shed. */
  SEVERE
}
