package io.sluice.examples;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.http.HttpRefusal;
import io.sluice.http.HttpRefusals;
import io.sluice.http.Tenant;
import io.sluice.rate.KeyedRateLimiter;

/**
 * The front door of a multi-tenant HTTP service: first each tenant's quota, then the server's
 * adaptive concurrency limit, and the status each refusal deserves. A tenant over its quota gets
 * {@code 429 Too Many Requests} (its own doing: the Retry-After is the exact time until its next
 * token); a request the server has no capacity for gets {@code 503 Service Unavailable} (the
 * server's state: the Retry-After is the limiter's estimate). Checking the quota first means a
 * noisy tenant is turned away before it takes any of the capacity that other tenants share. A
 * request refused for capacity has still used one of its tenant's tokens: the tenant did ask, and
 * counting it keeps a refused tenant's retries within its quota too.
 *
 * <p>Thread-safe: the quota table, the limiter and the refusals are; an {@link Answer} belongs to
 * one request.
 */
public final class TenantGate {
  private final KeyedRateLimiter<Tenant> quotas;
  private final Limiter limiter;
  private final HttpRefusals refusals;

  /**
   * What to do with one request: serve it (and later {@link #finish}) or send the refusal.
   *
   * @param permit the limiter's permit, meaningful only if admitted
   * @param refusal the answer to send, or null if the request was admitted
   */
  public record Answer(long permit, HttpRefusal refusal) {
    /** Returns whether the request was admitted and must be finished with {@link #finish}. */
    public boolean admitted() {
      return refusal == null;
    }

    /** Returns the status to answer: 200 once served, or the refusal's 429 or 503. */
    public int status() {
      return refusal == null ? 200 : refusal.status();
    }
  }

  /** Creates a gate over per-tenant quotas and the server's limiter, refusing as they say. */
  public TenantGate(KeyedRateLimiter<Tenant> quotas, Limiter limiter, HttpRefusals refusals) {
    this.quotas = quotas;
    this.limiter = limiter;
    this.refusals = refusals;
  }

  /** Decides a request of {@code tenant}: a permit, or a 429 or 503 with its Retry-After. */
  public Answer admit(Tenant tenant) {
    long quota = quotas.tryAcquire(tenant);
    if (Ticket.isRejection(quota)) {
      return new Answer(quota, refusals.refuse(quota, limiter.limit(), tenant));
    }
    long permit = limiter.tryAcquire();
    if (Ticket.isRejection(permit)) {
      return new Answer(permit, refusals.refuse(permit, limiter.limit(), tenant));
    }
    return new Answer(permit, null);
  }

  /** Releases an admitted request's permit with the outcome of its work. */
  public void finish(Answer answer, Outcome outcome) {
    limiter.release(answer.permit(), outcome);
  }
}
