/**
 * Metrics: immutable snapshots of limiters and guards, latency distributions, and an overload
 * signal.
 *
 * <ul>
 *   <li>Every guard's public {@code snapshot()} ({@link io.sluice.Limiter#snapshot()},
 *       {@link io.sluice.executor.AdmissionExecutor#snapshot()},
 *       {@link io.sluice.pool.PoolGuard#snapshot()}, and those of the rate limiters, the breaker
 *       and the fair-share gate) reads it at one moment, from any thread, without blocking its
 *       callers; these immutable snapshots are what metrics, monitors and binders are built on, so
 *       a decorated or custom implementation is observable too. Counts are cumulative since the
 *       guard was built;
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
