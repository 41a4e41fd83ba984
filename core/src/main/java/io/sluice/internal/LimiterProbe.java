package io.sluice.internal;

import io.sluice.detector.OverloadDetector;
import java.util.List;

/**
 * What a limiter built by {@code LimiterBuilder} tells the metrics beyond the {@code Limiter}
 * interface. Every count is cumulative since the limiter was built. Readers call the outcome counts
 * ({@link #drops()}, {@link #ignoredReleases()}) before {@link #releases()}, so a release counted
 * as a drop or ignored is always counted as a release too. Not part of the API.
 */
public interface LimiterProbe {

  /** Returns the algorithm's smallest limit. */
  int minLimit();

  /** Returns the algorithm's largest limit. */
  int maxLimit();

  /** Returns the permits released as {@code DROPPED}. */
  long drops();

  /** Returns the permits released as {@code IGNORED}. */
  long ignoredReleases();

  /** Returns the permits released, whatever their outcome. */
  long releases();

  /** Returns the permits issued: releases plus permits outstanding. */
  long admitted();

  /** Returns the round-trip times of sampled successes, as of the last closed window. */
  CumulativeHistogram rtt();

  /** Returns the overload detectors the limiter reads, in the order added; immutable. */
  List<OverloadDetector> detectors();
}
