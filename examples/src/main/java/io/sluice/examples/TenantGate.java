package io.sluice.examples;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.client.RetryAfter;
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
 * <p>Thread-safe: the quota table and the limiter are; an {@link Answer} belongs to one request.
 */
public final class TenantGate {
  private final KeyedRateLimiter<String> quotas;
  private final Limiter limiter;

  /** What to do with one request: serve it (and later {@link #finish}) or answer the refusal. */
  public record Answer(int status, String retryAfter, long permit) {
    /** Returns whether the request was admitted and must be finished with {@link #finish}. */
    public boolean admitted() {
      return status == 200;
    }
  }

  /** Creates a gate over per-tenant quotas and the server's limiter. */
  public TenantGate(KeyedRateLimiter<String> quotas, Limiter limiter) {
    this.quotas = quotas;
    this.limiter = limiter;
  }

  /** Decides a request of {@code tenant}: 200 with a permit, 429 or 503 with a Retry-After. */
  public Answer admit(String tenant) {
    long quota = quotas.tryAcquire(tenant);
    if (Ticket.isRejection(quota)) {
      return refusal(quota);
    }
    long permit = limiter.tryAcquire();
    if (Ticket.isRejection(permit)) {
      return refusal(permit);
    }
    return new Answer(200, null, permit);
  }

  /** Releases an admitted request's permit with the outcome of its work. */
  public void finish(Answer answer, Outcome outcome) {
    limiter.release(answer.permit(), outcome);
  }

  private static Answer refusal(long ticket) {
    int status = Ticket.reason(ticket) == RejectReason.RATE_LIMITED ? 429 : 503;
    return new Answer(status, RetryAfter.format(Ticket.retryAfterNanos(ticket)), ticket);
  }
}
