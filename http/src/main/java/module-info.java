/**
 * Sluice over HTTP, for every server integration: the refusal of a rejected request (status,
 * Retry-After, RateLimit fields, problem details), the priority and tenant of a request read from
 * its header fields under a trust policy, and the mapping of request paths to limiters. No
 * framework dependency: each integration writes a refusal through its own
 * {@link io.sluice.http.ResponseWriter}.
 */
module io.sluice.http {
  requires transitive io.sluice;

  exports io.sluice.http;
}
