package io.sluice.simulator.fleet;

import io.sluice.simulator.ServiceTime;

/**
 * One replica of a simulated fleet: a pool of {@code workers} serving requests whose own work
 * (before any call to the shared downstream) takes {@code service} times {@code slowdown}. A
 * replica at half speed has a slowdown of 2. Immutable.
 *
 * @param workers the replica's workers (threads), at least 1
 * @param service the distribution of the replica's own work per request
 * @param slowdown the factor applied to every service time drawn, at least 1
 */
record Replica(int workers, ServiceTime service, double slowdown) {

  /** Checks the arguments. */
  Replica {
    if (workers < 1 || service == null || !(slowdown >= 1)) {
      throw new IllegalArgumentException("replica must have workers >= 1, a service time and a"
          + " slowdown >= 1 but had " + workers + ", " + service + ", " + slowdown);
    }
  }

  /** Returns a replica at full speed. */
  static Replica of(int workers, ServiceTime service) {
    return new Replica(workers, service, 1);
  }

  /** Returns this replica at {@code factor} times its service times. */
  Replica slowedBy(double factor) {
    return new Replica(workers, service, slowdown * factor);
  }

  /** Returns the mean time of the replica's own work per request, in nanoseconds. */
  double meanNanos() {
    return service.meanNanos() * slowdown;
  }
}
