/**
 * Overload detectors: signals that the process is in trouble before request latencies show it.
 *
 * <ul>
 *   <li>{@link io.sluice.detector.OverloadDetector}, the SPI: a name, a lifecycle (start, close)
 *       and {@link io.sluice.detector.OverloadDetector#signal()}, one volatile read of an immutable
 *       {@link io.sluice.detector.OverloadSignal} (a {@link io.sluice.detector.OverloadLevel},
 *       the pressure, the figure judged). Cheap enough to read on every admission.
 *   <li>{@link io.sluice.detector.HeartbeatDetector}: scheduling lag of a sleeping thread (CPU
 *       starvation, throttling, stop-the-world pauses of any cause).
 *   <li>{@link io.sluice.detector.GcDetector}: share of time in GC pauses.
 *   <li>{@link io.sluice.detector.PoolSaturationDetector}: a thread pool or resource pool whose
 *       queue stands.
 *   <li>{@link io.sluice.detector.CpuDetector}: process CPU load against the cores it may use,
 *       cgroup quotas included.
 * </ul>
 *
 * <h2>Design</h2>
 * Every shipped detector samples on its own daemon thread: it sleeps one period, reads its source,
 * judges the figure over a sliding window of samples (a maximum, a minimum or a rate) against two
 * thresholds, and publishes a new immutable signal with a compare-and-set. Readers never take part
 * in sampling, so the admit path pays one volatile load per detector (a plain load on x86, a
 * load-acquire on ARM) and allocates nothing. A window also holds the verdict: a one-off stall
 * stays visible for about one window, long enough for a limiter that reads once per window.
 * Detectors fail open: before start, after close, and when their source fails, they read NONE.
 */
package io.sluice.detector;
