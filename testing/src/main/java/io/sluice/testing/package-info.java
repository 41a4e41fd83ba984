/**
 * Test fixtures for Sluice (artifact {@code sluice-testing}, test scope).
 *
 * <ul>
 *   <li>{@link io.sluice.testing.ManualClock}: a {@link io.sluice.NanoClock} that moves only when
 *       the test says, to pass to any builder's {@code clock} so that windows, deadlines and
 *       Retry-After estimates move in virtual time, with no sleep.
 *   <li>{@link io.sluice.testing.WindowFixture}: a window of exact samples and counts, to call a
 *       {@link io.sluice.limit.LimitAlgorithm} directly, one window at a time, with no limiter,
 *       thread or clock.
 *   <li>{@link io.sluice.testing.RecordingLimiter}: wraps any limiter and records acquisitions,
 *       rejections and the outcome of every release, to check that code under test completes each
 *       permit exactly once with the right outcome.
 * </ul>
 */
package io.sluice.testing;
