/**
 * Sluice's simulator: a deterministic, virtual-time model of a server guarded by a Sluice limiter,
 * to evaluate and tune limit algorithms before production, and the event loop it runs on.
 */
module io.sluice.simulator {
  requires transitive io.sluice;
  requires HdrHistogram;

  exports io.sluice.simulator;
  exports io.sluice.simulator.matrix;
}
