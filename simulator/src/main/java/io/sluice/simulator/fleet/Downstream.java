package io.sluice.simulator.fleet;

import io.sluice.simulator.ServiceTime;

/**
 * A resource every replica of a simulated fleet calls once per request after its own work (a
 * database): {@code workers} serve the calls of all replicas in arrival order, while the calling
 * replica's worker waits, so its saturation slows every replica. Immutable.
 *
 * @param workers the downstream's workers (connections, cores), at least 1
 * @param service the distribution of one call's service time
 */
record Downstream(int workers, ServiceTime service) {

  /** Checks the arguments. */
  Downstream {
    if (workers < 1 || service == null) {
      throw new IllegalArgumentException("downstream must have workers >= 1 and a service time"
          + " but had " + workers + ", " + service);
    }
  }

  /** Returns the calls per second the downstream serves. */
  double capacity() {
    return workers * 1e9 / service.meanNanos();
  }
}
