package io.sluice.benchmarks;

/** Which library a comparative benchmark runs: Sluice, or the Resilience4j baseline. */
public enum Implementation {
  /** Sluice's implementation. */
  SLUICE,
  /** Resilience4j 2.4.0, configured like Sluice's. */
  RESILIENCE4J
}
