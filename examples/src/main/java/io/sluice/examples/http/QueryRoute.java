package io.sluice.examples.http;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.examples.http.ConnectionPool.Connection;
import io.sluice.executor.AdmissionExecutor;
import io.sluice.executor.TaskOptions;
import io.sluice.http.HttpRefusals;
import io.sluice.http.MalformedHeaderException;
import io.sluice.http.PriorityHeader;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.pool.Lease;
import io.sluice.pool.PoolGuard;
import io.sluice.rate.KeyedRateLimiter;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/*
 * ProtectedServer's /query route: the admission decision on a front thread, and the admitted query
 * on a worker (steps 2 to 4 of ProtectedServer's "One request"). The front thread never waits: it
 * checks the tenant's quota, reads the priority, submits the query with its deadline and returns;
 * whoever settles the task writes the response, without blocking (a worker that ran it, or the
 * thread that shed it, through shed()). A pool-guard refusal is answered 503 and then rethrown, so
 * that the executor's FailureClassifier reads it.
 *
 * Thread-safe: its fields are final and the collaborators it calls are.
 */
final class QueryRoute {
  private final AdmissionExecutor executor;
  private final PoolGuard<Connection> poolGuard;
  /** Null without a tenant quota. */
  private final KeyedRateLimiter<Tenant> quotas;
  private final HttpRefusals refusals;
  private final PriorityHeader priorities;
  private final TenantHeader tenants = TenantHeader.newBuilder().build();
  private final long requestTimeoutNanos;
  private final long expectedQueryNanos;

  QueryRoute(AdmissionExecutor executor, PoolGuard<Connection> poolGuard,
      KeyedRateLimiter<Tenant> quotas, HttpRefusals refusals, PriorityHeader priorities,
      long requestTimeoutNanos, long expectedQueryNanos) {
    this.executor = executor;
    this.poolGuard = poolGuard;
    this.quotas = quotas;
    this.refusals = refusals;
    this.priorities = priorities;
    this.requestTimeoutNanos = requestTimeoutNanos;
    this.expectedQueryNanos = expectedQueryNanos;
  }

  /** The executor's shed listener: answers the request of a shed query (writing never blocks). */
  static void shed(Object task, AdmissionRejectedException rejection) {
    ((Query) task).refuse(rejection);
  }

  /** Runs on a front thread: decides at once, answers refusals, hands admitted work over. */
  boolean handle(Request request, Response response, Callback callback) {
    if (quotas != null) {
      Tenant tenant;
      try {
        tenant = tenants.resolve(request.getHeaders().getValuesList(tenants.name()));
      } catch (MalformedHeaderException e) {
        JettyWriter.send(refusals.badRequest(e), response, callback);
        return true;
      }
      long ticket = quotas.tryAcquire(tenant);
      if (Ticket.isRejection(ticket)) {
        JettyWriter.send(refusals.refuse(ticket, limit(), tenant), response, callback);
        return true;
      }
    }
    long deadline = System.nanoTime() + requestTimeoutNanos;
    String priority = request.getHeaders().get(priorities.name());
    TaskOptions options = TaskOptions.of(priority == null ? priorities.defaultPriority()
        : priorities.resolve(request.getHeaders().getValuesList(priorities.name()),
            priorities.trustedSources().contains(Request.getRemoteAddr(request))))
        .withDeadline(deadline);
    Query query = new Query(request, response, callback, deadline);
    try {
      executor.execute(query, options);
    } catch (AdmissionRejectedException e) {
      query.refuse(e);
    }
    return true;
  }

  private int limit() {
    return executor.limiter().limit();
  }

  /** The admitted part of a request: a checkout, a query and the 200, or a 503 from the pool. */
  private final class Query implements Runnable {
    final Request request;
    final Response response;
    final Callback callback;
    private final long deadline;

    Query(Request request, Response response, Callback callback, long deadline) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.deadline = deadline;
    }

    /** Answers the request with the refusal's 503. */
    void refuse(AdmissionRejectedException rejection) {
      JettyWriter.send(refusals.refuse(rejection, limit()), response, callback);
    }

    @Override
    public void run() {
      Lease<Connection> lease;
      try {
        lease = poolGuard.acquireBy(deadline - expectedQueryNanos);
      } catch (AdmissionRejectedException e) {
        refuse(e);
        // Not a success sample: the executor's FailureClassifier reads the refusal. Its default
        // rule ignores DEADLINE (the request's own time ran out waiting for a connection), so the
        // executor's limit does not shrink for it.
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        callback.failed(e); // the server is stopping: Jetty aborts the exchange
        return;
      }
      try {
        lease.resource().query();
      } catch (InterruptedException e) {
        lease.release(Outcome.IGNORED);
        Thread.currentThread().interrupt();
        callback.failed(e);
        return;
      }
      lease.close();
      // If the client has gone, Jetty fails the write; the query itself succeeded, which is what
      // the limiter has just learnt.
      LoopbackHttp.answerOk(response, callback);
    }

    @Override
    public String toString() {
      return "Query[" + request.getHttpURI().getPathQuery() + "]";
    }
  }
}
