/**
 * The control matrix: the limit algorithms judged on a grid of workloads against the best fixed
 * limit of each. {@link io.sluice.simulator.matrix.ControlMatrix} is the entry point; it writes
 * {@code docs/control-matrix.md}.
 *
 * <p>Design. A cell (Cell) is a backend (workers, service-time distribution), offered load as a
 * multiple of capacity, the client's objective and timeout, a timeline of events, and the targets
 * (Check) that apply to it. Its oracle (Oracle) is found by sweeping fixed limits on the same cell
 * with the same seed, so every contender meets the same arrivals and service times. Each
 * algorithm, built with its defaults, runs the cell once; its verdict (Verdict) holds one outcome
 * per target, each with a margin (how far from its threshold), and the report orders each
 * algorithm's cells by their worst margin. The grid (Grid) varies a base cell one axis at a time
 * instead of crossing every axis. Cells are independent: they run in parallel when asked, each
 * simulation single-threaded, and the report does not depend on the number of threads.
 *
 * <p>Not thread-safe except where stated; the types here are internal to the simulator.
 */
package io.sluice.simulator.matrix;
