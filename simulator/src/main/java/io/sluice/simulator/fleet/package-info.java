/**
 * The fleet study: N replicas behind a load balancer, each with its own Sluice limiter in front of
 * its own workers, sometimes calling a downstream they all share, judged against the best fixed
 * per-replica limits. {@link io.sluice.simulator.fleet.FleetStudy} is the entry point; it writes
 * {@code docs/fleet.md}.
 *
 * <p>Design. A fleet (FleetSimulation) runs in virtual time on one
 * {@link io.sluice.simulator.EventLoop}: open-loop Poisson arrivals, a balancer (Balancer) that
 * sees only the requests it has outstanding on each replica, replicas (Replica) of a number of
 * workers with a FIFO queue each, and an optional downstream (Downstream) whose single FIFO every
 * replica's calls share while the calling worker waits. Each replica's limiter is a real
 * {@link io.sluice.Limiter} on the loop's clock, and an {@link io.sluice.metrics.OverloadMonitor}
 * reads it as a metrics scrape would. A setup (Scenario) fixes the fleet, balancer, load and
 * events; its oracle (FleetOracle) sweeps fixed per-replica limits on the same setup and seed;
 * Convergence reads the limit trajectories. FleetReport turns the rows into Markdown. Runs are
 * independent and single-threaded: the study runs them in parallel when asked, and its figures do
 * not depend on the number of threads.
 *
 * <p>Not thread-safe except where stated; the types here are internal to the simulator.
 */
package io.sluice.simulator.fleet;
