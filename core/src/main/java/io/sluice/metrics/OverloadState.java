package io.sluice.metrics;

/**
 * The health of a limiter or guard as an {@link OverloadMonitor} judges it, from best to worst.
 */
public enum OverloadState {
  /** No rule fires: the guard admits nearly everything and its limit can move. */
  OK,
  /**
   * A rule fired in the latest interval but has not yet held for its sustained period: rejections
   * above the threshold, or the limit at its minimum. Worth a look; still serving.
   */
  DEGRADED,
  /**
   * A rule has held for its sustained period: the service has been refusing a significant share
   * of its work, or its limit has been pinned at the minimum, for minutes. Alert, and add capacity.
   */
  OVERLOADED
}
