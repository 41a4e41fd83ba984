package io.sluice.metrics;

import io.sluice.detector.OverloadLevel;
import io.sluice.internal.Args;
import java.util.List;

/**
 * The result of an {@link OverloadMonitor} evaluation: the state and the figures it was judged on.
 * Immutable.
 *
 * @param state the verdict
 * @param evaluatedAtNanos the monitor clock's reading when the latest interval ended
 * @param intervalNanos the length of the latest interval (0 before the first one ends)
 * @param requests the requests of the latest interval: admitted plus rejected
 * @param rejected the rejected (and, for an executor, shed) requests of the latest interval
 * @param rejectingForNanos how long the rejection ratio has stayed above its threshold, 0 if it is not
 * @param limit the limit when the latest interval ended
 * @param minLimit the algorithm's smallest limit
 * @param atMinimumForNanos how long the limit has been seen at its minimum, 0 if it is not there
 * @param detectors the limiter's overload detectors as read when the latest interval ended (empty
 *     without detectors); immutable
 */
public record OverloadStatus(OverloadState state, long evaluatedAtNanos, long intervalNanos,
    long requests, long rejected, long rejectingForNanos, int limit, int minLimit,
    long atMinimumForNanos, List<DetectorState> detectors) {

  /** Checks that the state and the detector readings are not null; copies the readings. */
  public OverloadStatus {
    Args.notNull("state", state);
    detectors = List.copyOf(Args.notNull("detectors", detectors));
  }

  /** A status without overload detectors. */
  public OverloadStatus(OverloadState state, long evaluatedAtNanos, long intervalNanos,
      long requests, long rejected, long rejectingForNanos, int limit, int minLimit,
      long atMinimumForNanos) {
    this(state, evaluatedAtNanos, intervalNanos, requests, rejected, rejectingForNanos, limit,
        minLimit, atMinimumForNanos, List.of());
  }

  /** Returns the worst level the detectors read: NONE without detectors. */
  public OverloadLevel overload() {
    return DetectorState.worst(detectors);
  }

  /** Returns the rejection ratio of the latest interval: rejected / requests; 0 without requests. */
  public double rejectionRatio() {
    return requests == 0 ? 0.0 : (double) rejected / requests;
  }
}
