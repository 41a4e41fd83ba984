/**
 * Sluice's Micrometer binder: meters for limiters, executors, pool guards and the overload monitor,
 * read from their public snapshots.
 */
module io.sluice.micrometer {
  requires transitive io.sluice;
  // Micrometer's types appear in the binder's API (MeterRegistry, Tag).
  requires transitive micrometer.core;

  exports io.sluice.micrometer;
}
