package io.sluice.simulator.fleet;

/**
 * How the fleet's load balancer picks a replica for each request. The balancer sees only what a
 * real one sees: which replicas exist and how many of its requests each holds (sent, not yet
 * answered). A refusal is answered at once, so it holds nothing.
 */
enum Balancer {
  /** Each replica in turn, whatever it holds (nginx's and most L4 balancers' default). */
  ROUND_ROBIN("round robin"),
  /** A replica drawn uniformly at random for each request. */
  RANDOM("random"),
  /**
   * The replica holding the fewest outstanding requests, ties broken by scanning from a random
   * replica (HAProxy's {@code leastconn}, nginx's {@code least_conn}).
   */
  LEAST_OUTSTANDING("least outstanding"),
  /**
   * Of two distinct replicas drawn at random, the one holding fewer outstanding requests, the
   * first on a tie (Envoy's {@code LEAST_REQUEST} default, "power of two choices").
   */
  TWO_CHOICES("least of two");

  final String label;

  Balancer(String label) {
    this.label = label;
  }
}
