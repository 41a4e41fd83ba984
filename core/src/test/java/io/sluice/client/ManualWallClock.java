package io.sluice.client;

import io.sluice.testing.ManualClock;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A wall clock that moves with a {@link ManualClock}, for HTTP-dates in tests. */
final class ManualWallClock extends Clock {
  private final ManualClock ticks;
  private final Instant start;

  ManualWallClock(ManualClock ticks, Instant start) {
    this.ticks = ticks;
    this.start = start;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("UTC only");
  }

  @Override
  public Instant instant() {
    return start.plusNanos(ticks.nanoTime());
  }
}
