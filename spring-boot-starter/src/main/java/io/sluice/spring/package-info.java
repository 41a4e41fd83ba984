/**
 * Sluice for Spring Boot 4: auto-configuration of the servlet filter from {@code sluice.*}
 * properties, per-route limiters, shadow mode, Micrometer meters and an actuator health
 * indicator. Every bean steps aside for one of the application's.
 */
package io.sluice.spring;
