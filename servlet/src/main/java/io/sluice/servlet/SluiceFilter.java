package io.sluice.servlet;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.http.HttpRefusals;
import io.sluice.http.MalformedHeaderException;
import io.sluice.http.PriorityHeader;
import io.sluice.http.Route;
import io.sluice.http.RouteTable;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.servlet.OutcomeMapping.Ending;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * A Jakarta Servlet 6 {@link Filter} that admits each request through the {@link Limiter} of its
 * route, refuses the rest before they reach the application, and releases every permit exactly
 * once with the {@link Outcome} of the request, whether the request is synchronous or async.
 *
 * <pre>{@code
 * SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.newBuilder(apiLimiter)
 *         .prefix("/search", searchLimiter)
 *         .bypass("/health")
 *         .build())
 *     .priorities(PriorityHeader.newBuilder()
 *         .trustedSources(TrustedSources.of("10.0.0.0/8")).build())
 *     .build();
 * FilterRegistration.Dynamic registration = servletContext.addFilter("sluice", filter);
 * registration.setAsyncSupported(true);
 * registration.addMappingForUrlPatterns(null, false, "/*");
 * }</pre>
 *
 * <h2>A request's way through</h2>
 * <ol>
 *   <li>Only a request's first dispatch ({@link DispatcherType#REQUEST}) is admitted; the async,
 *       error, forward and include dispatches of an admitted request pass through.
 *   <li>The raw path ({@code getRequestURI()}) picks a route of the {@link RouteTable}: a
 *       bypassed path (health checks, metrics) goes straight to the application; a path that
 *       matches no route goes to the table's default limiter.
 *   <li>If a {@link TenantHeader} is configured, the tenant is read and stored in the request
 *       attribute {@link #TENANT_ATTRIBUTE}; a malformed tenant field (repeated, empty, too long,
 *       control characters) is answered {@code 400} with a problem body.
 *   <li>If a quota is configured ({@link Builder#quotas}), the tenant takes one request from its
 *       bucket; a tenant out of quota is answered {@code 429} with {@code Retry-After} (the time
 *       until its bucket has a request again) and the RateLimit fields naming it, before any
 *       permit is taken.
 *   <li>The priority is read by the {@link PriorityHeader}: believed only from its trusted
 *       sources, never a reason to refuse (a malformed or repeated field gives the default level
 *       or a lower one).
 *   <li>The cost function gives the request's weight (1 by default; below 1 counts as 1).
 *   <li>{@link Limiter#tryAcquire(int, Priority)}: a refusal is written with the
 *       {@link HttpRefusals} ({@code 503}, or {@code 429}, with {@code Retry-After},
 *       {@code RateLimit} fields, a problem details body and {@code Cache-Control: no-store})
 *       and the application is not called. A cost above the limiter's {@code maxLimit}, which
 *       can never be admitted, is refused as {@link RejectReason#LIMIT_REACHED}.
 *   <li>The application runs. The permit is released when the request ends: when the filter
 *       chain returns or throws, or, if the application started an async cycle, when the cycle
 *       completes, fails or times out (an {@code AsyncListener} the filter adds once the chain
 *       returns). The {@link OutcomeMapping} decides the outcome.
 * </ol>
 * The filter must be registered with async support, or a servlet's {@code startAsync()} fails.
 *
 * <h2>Shadow mode</h2>
 * A route whose limiter is monitor-only ({@link Limiter#monitorOnly(boolean)}; for every route at
 * once, {@link #monitorOnly(boolean)} or {@link Builder#monitorOnly}) refuses nothing: the limiter
 * admits the work and counts what it would have refused, and the filter answers no {@code 400}
 * either (a malformed tenant field leaves the attribute unset). Switching back is one call, at run
 * time.
 *
 * <h2>Latency at the first byte</h2>
 * A streaming response (server-sent events, a long download, tokens of a model) holds its permit
 * until it ends, far longer than the latency the server should be judged by. With
 * {@link Builder#sampleAtFirstByte(boolean)}, the first write or flush of the body records the
 * permit's latency sample ({@link Limiter#sample(long)}) and the release records none. The filter
 * then wraps the request and the response.
 *
 * <h2>Thread-safety and cost</h2>
 * The filter is immutable once built (but for the limiters' monitor-only switches) and safe for
 * any number of concurrent requests; every per-request state is confined to the request, and the
 * release of an async request is elected by a compare-and-set among the container's threads. For
 * a request without priority and tenant fields, admitted and completed synchronously, the filter
 * allocates nothing and takes no lock; an async request allocates its listener, a refusal its
 * answer.
 */
public final class SluiceFilter implements Filter {
  /** The request attribute holding the {@link Tenant} when a {@link TenantHeader} is set. */
  public static final String TENANT_ATTRIBUTE = "io.sluice.servlet.tenant";

  private final RouteTable<Limiter> routes;
  /** The limiter of every path when the table routes nothing else: no lookup per request. */
  private final Limiter onlyLimiter;
  private final List<Limiter> limiters;
  private final PriorityHeader priorities;
  private final TenantHeader tenants;
  private final KeyedRateLimiter<Tenant> quotas;
  private final ToIntFunction<HttpServletRequest> cost;
  private final OutcomeMapping outcomes;
  private final HttpRefusals refusals;
  private final boolean sampleAtFirstByte;

  private SluiceFilter(Builder b) {
    this.routes = b.routes;
    this.priorities = b.priorities;
    this.tenants = b.tenants;
    this.quotas = b.quotas;
    this.cost = b.cost;
    this.outcomes = b.outcomes;
    this.refusals = b.refusals;
    this.sampleAtFirstByte = b.sampleAtFirstByte;
    Set<Limiter> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Limiter> all = new ArrayList<>();
    for (Route<Limiter> route : routes.routes()) {
      if (!route.bypass() && distinct.add(route.target())) {
        all.add(route.target());
      }
    }
    this.limiters = List.copyOf(all);
    this.onlyLimiter = routes.routes().size() == 1 ? routes.defaultRoute().target() : null;
  }

  /**
   * Returns a builder of a filter that admits every request (but the bypassed ones) through the
   * limiter of its route.
   */
  public static Builder newBuilder(RouteTable<Limiter> routes) {
    return new Builder(notNull("routes", routes));
  }

  /** Returns a builder of a filter that admits every request through one limiter. */
  public static Builder newBuilder(Limiter limiter) {
    return new Builder(RouteTable.newBuilder(notNull("limiter", limiter)).build());
  }

  /** Admits, refuses or passes the request on; see the class comment. */
  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (req.getDispatcherType() != DispatcherType.REQUEST
        || !(req instanceof HttpServletRequest) || !(res instanceof HttpServletResponse)) {
      chain.doFilter(req, res);
      return;
    }
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    Limiter limiter = onlyLimiter;
    if (limiter == null) {
      Route<Limiter> route = routes.route(request.getRequestURI());
      if (route.bypass()) {
        chain.doFilter(request, response);
        return;
      }
      limiter = route.target();
    }
    Tenant tenant = null;
    if (tenants != null) {
      try {
        tenant = tenant(request);
        request.setAttribute(TENANT_ATTRIBUTE, tenant);
      } catch (MalformedHeaderException e) {
        if (!limiter.monitorOnly()) {
          refusals.badRequest(e).writeTo(new ServletResponseWriter(response));
          return;
        }
      }
      if (quotas != null && tenant != null) {
        long quota = quotas.tryAcquire(tenant);
        if (Ticket.isRejection(quota) && !limiter.monitorOnly()) {
          refusals.refuse(quota, limiter.limit(), tenant)
              .writeTo(new ServletResponseWriter(response));
          return;
        }
      }
    }
    Priority priority = priority(request);
    int units = cost == null ? 1 : Math.max(1, cost.applyAsInt(request));
    long ticket;
    try {
      ticket = limiter.tryAcquire(units, priority);
    } catch (IllegalArgumentException heavierThanMaxLimit) {
      if (limiter.monitorOnly()) {
        chain.doFilter(request, response); // nothing to count it in: it could never be admitted
        return;
      }
      ticket = Ticket.rejection(RejectReason.LIMIT_REACHED, limiter.retryAfterNanos());
    }
    if (Ticket.isRejection(ticket)) {
      refusals.refuse(ticket, limiter.limit(), tenant)
          .writeTo(new ServletResponseWriter(response));
      return;
    }
    if (sampleAtFirstByte) {
      runSampledAtFirstByte(request, response, chain, limiter, ticket);
    } else {
      run(request, response, chain, limiter, ticket);
    }
  }

  /**
   * Switches every route's limiter between monitor-only (true: shadow mode, nothing refused) and
   * enforcing, at run time; see {@link Limiter#monitorOnly(boolean)}.
   *
   * @throws UnsupportedOperationException if a limiter has no monitor-only mode
   */
  public void monitorOnly(boolean monitorOnly) {
    for (Limiter limiter : limiters) {
      limiter.monitorOnly(monitorOnly);
    }
  }

  /** Returns whether every route's limiter is monitor-only: the filter refuses nothing. */
  public boolean monitorOnly() {
    for (Limiter limiter : limiters) {
      if (!limiter.monitorOnly()) {
        return false;
      }
    }
    return true;
  }

  /** Returns the routes. */
  public RouteTable<Limiter> routes() {
    return routes;
  }

  @Override
  public String toString() {
    return "SluiceFilter[" + routes + ", " + priorities + (tenants == null ? "" : ", " + tenants)
        + (quotas == null ? "" : ", quotas " + quotas)
        + (cost == null ? "" : ", cost " + cost) + ", " + outcomes
        + (sampleAtFirstByte ? ", sampled at the first byte" : "") + "]";
  }

  /** Runs the application and releases the permit when the request ends. */
  private void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
      Limiter limiter, long permit) throws IOException, ServletException {
    try {
      chain.doFilter(request, response);
    } catch (Throwable t) {
      try {
        release(limiter, permit, failed(t), response.getStatus(), t);
      } catch (RuntimeException | Error mappingFailed) {
        t.addSuppressed(mappingFailed);
      }
      throw t;
    }
    if (!request.isAsyncStarted()) {
      release(limiter, permit, Ending.COMPLETED, response.getStatus(), null);
      return;
    }
    listen(request, new Admission(this, limiter, permit, response));
  }

  /** {@link #run}, with the request and response wrapped to mark the first byte. */
  private void runSampledAtFirstByte(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain, Limiter limiter, long permit) throws IOException, ServletException {
    Admission admission = new Admission(this, limiter, permit, response);
    FirstByte.Response marking = new FirstByte.Response(response, admission);
    try {
      chain.doFilter(new FirstByte.Request(request, marking), marking);
    } catch (Throwable t) {
      try {
        admission.release(failed(t), response.getStatus(), t);
      } catch (RuntimeException | Error mappingFailed) {
        t.addSuppressed(mappingFailed);
      }
      throw t;
    }
    if (!request.isAsyncStarted()) {
      admission.release(Ending.COMPLETED, response.getStatus(), null);
      return;
    }
    listen(request, admission);
  }

  /**
   * Registers the release of an async request. The container delivers the cycle's completion to
   * a listener added before the dispatch that started it returns, even if another thread has
   * already called {@code complete()}; if the cycle is somehow over already, release now.
   */
  private static void listen(HttpServletRequest request, Admission admission) {
    try {
      request.getAsyncContext().addListener(admission);
    } catch (IllegalStateException over) {
      admission.onComplete(null);
    }
  }

  /** Releases a permit with the outcome of the mapping; IGNORED if the mapping fails. */
  void release(Limiter limiter, long permit, Ending ending, int status, Throwable failure) {
    Outcome outcome = null;
    try {
      outcome = outcomes.outcome(ending, status, failure);
    } finally {
      limiter.release(permit, outcome == null ? Outcome.IGNORED : outcome);
    }
  }

  private static Ending failed(Throwable failure) {
    return StandardOutcomes.isClientAbort(failure) ? Ending.CLIENT_ABORTED : Ending.FAILED;
  }

  /** Reads the priority; allocation-free unless the request has the field. */
  private Priority priority(HttpServletRequest request) {
    String first = request.getHeader(priorities.name());
    if (first == null) {
      return priorities.defaultPriority();
    }
    return priorities.resolve(allLines(request, priorities.name(), first),
        request.getRemoteAddr());
  }

  private Tenant tenant(HttpServletRequest request) throws MalformedHeaderException {
    String first = request.getHeader(tenants.name());
    if (first == null) {
      return tenants.resolve((String) null);
    }
    Enumeration<String> lines = request.getHeaders(tenants.name());
    return lines == null ? tenants.resolve(first) : tenants.resolve(Collections.list(lines));
  }

  /**
   * Returns every line of a field joined with commas, as RFC 9110 section 5.3 combines them, or
   * the one line: {@code getHeader} gives only the first, and a client's line must not win over a
   * gateway's that follows it.
   */
  private static String allLines(HttpServletRequest request, String name, String first) {
    Enumeration<String> lines = request.getHeaders(name);
    if (lines == null || !lines.hasMoreElements()) {
      return first;
    }
    String line = lines.nextElement();
    if (!lines.hasMoreElements()) {
      return line;
    }
    StringBuilder joined = new StringBuilder(line);
    while (lines.hasMoreElements()) {
      joined.append(',').append(lines.nextElement());
    }
    return joined.toString();
  }

  private static <T> T notNull(String name, T value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    return value;
  }

  /**
   * Configures a {@link SluiceFilter}. Every setter checks its argument and throws an
   * {@link IllegalArgumentException} naming it. Not thread-safe.
   */
  public static final class Builder {
    private final RouteTable<Limiter> routes;
    private PriorityHeader priorities = PriorityHeader.newBuilder().build();
    private TenantHeader tenants;
    private KeyedRateLimiter<Tenant> quotas;
    private ToIntFunction<HttpServletRequest> cost;
    private OutcomeMapping outcomes = OutcomeMapping.standard();
    private HttpRefusals refusals = HttpRefusals.standard();
    private boolean sampleAtFirstByte;
    private Boolean monitorOnly;

    private Builder(RouteTable<Limiter> routes) {
      this.routes = routes;
    }

    /**
     * Sets how the priority is read: the field, the default level and the trusted sources (by
     * default {@code X-Priority}, {@link Priority#CRITICAL}, no source trusted: a client may only
     * lower its own priority).
     */
    public Builder priorities(PriorityHeader priorities) {
      this.priorities = notNull("priorities", priorities);
      return this;
    }

    /**
     * Reads each request's tenant with {@code tenants} into the attribute
     * {@link SluiceFilter#TENANT_ATTRIBUTE}, answering {@code 400} to a malformed field (by
     * default no tenant is read).
     */
    public Builder tenants(TenantHeader tenants) {
      this.tenants = notNull("tenants", tenants);
      return this;
    }

    /**
     * Gives every tenant a quota: each request that passes the tenant check takes one from its
     * tenant's bucket, and a tenant whose bucket is empty is answered {@code 429} with
     * {@code Retry-After} and the RateLimit fields (its partition key included), before the
     * request takes a permit; requests without the field count against the anonymous tenant.
     * Needs {@link #tenants}. A quota request is taken for good, even if the limiter then
     * refuses the request. A monitor-only route takes it and refuses nothing. Advertise the
     * quota with {@link HttpRefusals.Builder#quotaPolicy}.
     */
    public Builder quotas(KeyedRateLimiter<Tenant> quotas) {
      this.quotas = notNull("quotas", quotas);
      return this;
    }

    /**
     * Sets the cost of a request in units of the limit (1 by default): called once per admitted
     * or refused request, on its thread, after the tenant is read; it must be thread-safe and
     * cheap, and should not throw (an exception propagates, as the application's would). A
     * value below 1 counts as 1; above the limiter's {@code maxLimit}, the request is refused.
     */
    public Builder cost(ToIntFunction<HttpServletRequest> cost) {
      this.cost = notNull("cost", cost);
      return this;
    }

    /** Sets the outcome of each way a request ends ({@link OutcomeMapping#standard()}). */
    public Builder outcomes(OutcomeMapping outcomes) {
      this.outcomes = notNull("outcomes", outcomes);
      return this;
    }

    /**
     * Sets the refusals: the overload status (503 or 429) and the policies the RateLimit fields
     * name ({@link HttpRefusals#standard()} by default).
     */
    public Builder refusals(HttpRefusals refusals) {
      this.refusals = notNull("refusals", refusals);
      return this;
    }

    /**
     * Records each request's latency sample at the first byte of its response body rather than
     * at its end (false by default): for streaming responses.
     */
    public Builder sampleAtFirstByte(boolean sampleAtFirstByte) {
      this.sampleAtFirstByte = sampleAtFirstByte;
      return this;
    }

    /**
     * Switches every route's limiter to monitor-only (true) or enforcing when the filter is
     * built; unset, the limiters keep their mode. See {@link SluiceFilter#monitorOnly(boolean)}.
     */
    public Builder monitorOnly(boolean monitorOnly) {
      this.monitorOnly = monitorOnly;
      return this;
    }

    /**
     * Returns the filter.
     *
     * @throws IllegalArgumentException if quotas are set without {@link #tenants}
     */
    public SluiceFilter build() {
      if (quotas != null && tenants == null) {
        throw new IllegalArgumentException(
            "quotas need tenants: a quota is kept per tenant, and no TenantHeader was set");
      }
      SluiceFilter filter = new SluiceFilter(this);
      if (monitorOnly != null) {
        filter.monitorOnly(monitorOnly);
      }
      return filter;
    }
  }
}
