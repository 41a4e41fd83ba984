/**
 * Framework-neutral HTTP parts of Sluice, shared by every server integration and the examples.
 *
 * <ul>
 *   <li>{@link io.sluice.http.HttpRefusals} makes the {@link io.sluice.http.HttpRefusal} of a
 *       rejection (503 or 429, Retry-After, RateLimit fields, problem details), which an
 *       integration writes through its {@link io.sluice.http.ResponseWriter}.
 *   <li>{@link io.sluice.http.PriorityHeader} reads a request's priority, believed only from
 *       {@link io.sluice.http.TrustedSources}; {@link io.sluice.http.TenantHeader} reads its
 *       {@link io.sluice.http.Tenant}, or reports a {@link io.sluice.http.MalformedHeaderException}
 *       for a 400.
 *   <li>{@link io.sluice.http.RouteTable} maps a raw request path to a
 *       {@link io.sluice.http.Route}: a limiter, the default, or no admission at all.
 *   <li>{@link io.sluice.http.StructuredFields} serializes the Structured Field values (RFC 9651)
 *       of the response fields.
 * </ul>
 *
 * <p>Every type is immutable and thread-safe, except the builders and the writer an integration
 * implements. What runs on every admitted request (reading an absent priority or tenant field,
 * routing a path) allocates nothing.
 */
package io.sluice.http;
