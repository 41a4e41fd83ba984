/**
 * Per-tenant fairness under overload: {@link io.sluice.fair.FairShare} shares a
 * {@link io.sluice.Limiter}'s capacity max-min fairly between tenants (optionally weighted), in
 * units of cost, so that a flooding tenant gets what the others leave and a tenant within its
 * share meets only the limit itself.
 *
 * <p>The gate decides, per request, whether a tenant is within its share of the limit in force or
 * borrowing beyond it; borrowers leave part of the limit free for the others' next requests, and
 * refusals of borrowers carry {@link io.sluice.RejectReason#FAIR_SHARE} and a Retry-After that
 * grows with how much the tenant holds. The global limit stays the limiter's (adaptive): the gate
 * only chooses who may use it. Built by {@link io.sluice.fair.FairShare.Builder}.
 */
package io.sluice.fair;
