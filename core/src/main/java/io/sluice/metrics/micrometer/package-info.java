/**
 * A Micrometer binder for limiters, executors, pool guards and the overload monitor:
 * {@link io.sluice.metrics.micrometer.SluiceMeterBinder}.
 *
 * <p>The only package of Sluice that refers to Micrometer, an optional dependency: it can be
 * loaded only when the application has {@code io.micrometer:micrometer-core} on its class path or
 * module path; every other package works without it.
 */
package io.sluice.metrics.micrometer;
