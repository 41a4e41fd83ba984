package io.sluice.spring;

import io.sluice.metrics.OverloadMonitor;
import io.sluice.metrics.OverloadStatus;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * A health indicator from an {@link OverloadMonitor}: {@code OK} is {@code UP}, {@code DEGRADED}
 * is the status {@code DEGRADED} (a rule fired in the latest interval: still serving), and
 * {@code OVERLOADED} is {@code OUT_OF_SERVICE} (a rule held for its sustained period). The details
 * carry the state, the limit, the rejection ratio of the latest interval and how long each rule
 * has held.
 *
 * <p>Thread-safe: each call evaluates the monitor, which is thread-safe and never blocks.
 */
public final class SluiceHealthIndicator implements HealthIndicator {
  /** The status of a monitor in state {@code DEGRADED}. */
  public static final Status DEGRADED = new Status("DEGRADED",
      "Refusing work or at its minimum limit in the latest interval");

  private final OverloadMonitor monitor;

  /** Returns an indicator of {@code monitor}. */
  public SluiceHealthIndicator(OverloadMonitor monitor) {
    this.monitor = Objects.requireNonNull(monitor, "monitor");
  }

  @Override
  public Health health() {
    OverloadStatus status = monitor.evaluate();
    Health.Builder health;
    switch (status.state()) {
      case OVERLOADED:
        health = Health.outOfService();
        break;
      case DEGRADED:
        health = Health.status(DEGRADED);
        break;
      case OK:
      default:
        health = Health.up();
        break;
    }
    return health.withDetail("state", status.state().name())
        .withDetail("limit", status.limit())
        .withDetail("minLimit", status.minLimit())
        .withDetail("rejectionRatio", status.rejectionRatio())
        .withDetail("rejectingForMillis", status.rejectingForNanos() / 1_000_000L)
        .withDetail("atMinimumForMillis", status.atMinimumForNanos() / 1_000_000L)
        .build();
  }

  @Override
  public String toString() {
    return "SluiceHealthIndicator{" + monitor + "}";
  }
}
