/**
 * A Micrometer binder for limiters, executors, pool guards and the overload monitor:
 * {@link io.sluice.micrometer.SluiceMeterBinder}.
 *
 * <p>The module {@code io.sluice.micrometer} (artifact {@code sluice-micrometer}) is the only part
 * of Sluice that refers to Micrometer; {@code sluice-core} has no dependency on it. The binder
 * reads the guards through their public snapshots only.
 */
package io.sluice.micrometer;
