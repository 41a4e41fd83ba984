/**
 * Metrics: immutable snapshots of limiters and guards, latency distributions, and an overload
 * signal.
 *
 * <ul>
 *   <li>{@link io.sluice.metrics.LimiterSnapshot#of}, {@link io.sluice.metrics.ExecutorSnapshot#of}
 *       and {@link io.sluice.metrics.PoolGuardSnapshot#of} read a guard at one moment, from any
 *       thread, without blocking its callers. Counts are cumulative since the guard was built;
 *       {@link io.sluice.metrics.LatencySnapshot} distributions too, and the distribution of an
 *       interval is the difference of two snapshots ({@code later.minus(earlier)}): each reader
 *       keeps its own previous snapshot, so readers never disturb each other.
 *   <li>{@link io.sluice.metrics.OverloadMonitor} turns the counts into OK / DEGRADED /
 *       OVERLOADED, for readiness, alerts and autoscaling.
 *   <li>Listeners: {@link io.sluice.RejectionListener} (every rejection, on the rejecting thread)
 *       and {@link io.sluice.LimitListener} (every window and the limit it set).
 *   <li>The module {@code io.sluice.micrometer} (artifact {@code sluice-micrometer}) binds these
 *       to a Micrometer registry; core itself does not depend on Micrometer.
 * </ul>
 *
 * <p>Cost: nothing on the acquire, release and reject paths beyond what the limiter counts anyway.
 * The limiter's RTT distribution is fed by the window closer from the window's histogram, so it
 * holds closed windows only and is sampled at high traffic, like the limit algorithm's input.
 */
package io.sluice.metrics;
