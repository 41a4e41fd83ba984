package io.sluice.servlet;

import static io.sluice.servlet.Loopback.assertNoPermitLeaked;
import static io.sluice.servlet.Loopback.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import io.sluice.http.HttpRefusals;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.servlet.OutcomeMapping.Ending;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java blocks of docs/19-servlet.md, line for line (the last test checks it), compiled and
 * run: the filter registered on real Jetty and Tomcat servers, a mapping of one's own, shadow
 * mode, streaming and tenants.
 */
@Timeout(60)
class ServletDocsTest {
  private final TestApp app = new TestApp();
  private Limiter api;
  private Limiter search;
  private Tenant seen;

  @AfterEach
  void closeApp() {
    app.close();
  }

  // --------------------------------------------------------------------------- the snippets

  /** Builds the filter of the page's first block, keeping its limiters for the tests. */
  private SluiceFilter filter() {
    Limiter apiLimiter = Limiter.newBuilder().build();           // adaptive, the defaults
    Limiter searchLimiter = Limiter.newBuilder().build();
    SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.newBuilder(apiLimiter)
            .prefix("/search", searchLimiter)                    // a limit of its own
            .bypass("/health")                                   // never admitted, never refused
            .bypassPrefix("/metrics")
            .build())
        .priorities(PriorityHeader.newBuilder()
            .trustedSources(TrustedSources.of("10.0.0.0/8"))     // the gateway sets X-Priority
            .build())
        .cost(request -> request.getRequestURI().startsWith("/search/export") ? 10 : 1)
        .build();
    this.api = apiLimiter;
    this.search = searchLimiter;
    return filter;
  }

  private static void register(ServletContextHandler context, SluiceFilter filter) {
    FilterHolder sluice = new FilterHolder(filter);
    sluice.setAsyncSupported(true);                              // or startAsync() fails
    context.addFilter(sluice, "/*", EnumSet.of(DispatcherType.REQUEST));
  }

  private static void register(ServletContext servletContext, SluiceFilter filter) {
    FilterRegistration.Dynamic registration = servletContext.addFilter("sluice", filter);
    registration.setAsyncSupported(true);
    registration.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
  }

  private static OutcomeMapping outcomes() {
    OutcomeMapping outcomes = (ending, status, failure) -> status == 502
        ? Outcome.DROPPED                                        // our proxy's overload answer
        : OutcomeMapping.standard().outcome(ending, status, failure);
    return outcomes;
  }

  // ------------------------------------------------------------------------------ the tests

  @Test
  void theFilterOnJettyRoutesBypassesAndWeighs() throws Exception {
    org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    ServletHolder servlet = new ServletHolder(app);
    servlet.setAsyncSupported(true);
    context.addServlet(servlet, "/*");
    register(context, filter());
    server.setHandler(context);
    server.start();
    try {
      URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
      assertThat(send(base.resolve("/health")).statusCode()).isEqualTo(200);
      assertThat(send(base.resolve("/metrics/fast")).statusCode()).isEqualTo(200);
      assertThat(send(base.resolve("/fast")).statusCode()).isEqualTo(200);
      assertThat(send(base.resolve("/async")).statusCode()).isEqualTo(200);
      assertThat(send(base.resolve("/search/fast")).statusCode()).isEqualTo(200);
      // 10 units: more than the adaptive limit starts with (so refused) or within it.
      int export = send(base.resolve("/search/export/fast")).statusCode();
      assertThat(export).isIn(200, 503);

      assertNoPermitLeaked(10, api, search);
      assertThat(api.snapshot().admitted()).isEqualTo(2);
      assertThat(search.snapshot().admitted() + search.snapshot().rejected()).isEqualTo(2);
      assertThat(app.calls.get()).isEqualTo(export == 200 ? 6 : 5);
    } finally {
      server.stop();
    }
  }

  @Test
  void theFilterOnTomcatIsRegisteredThroughTheServletContext() throws Exception {
    SluiceFilter filter = filter();
    File base = Files.createTempDirectory("sluice-docs-tomcat").toFile();
    Server.quietTomcat();
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.getPath());
    tomcat.setSilent(true);
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", base.getPath());
    Wrapper servlet = Tomcat.addServlet(context, "app", app);
    servlet.setAsyncSupported(true);
    servlet.addMapping("/*");
    context.addServletContainerInitializer((classes, servletContext) ->
        register(servletContext, filter), null);
    tomcat.start();
    Server.quietTomcat();
    try {
      URI uri = URI.create("http://127.0.0.1:" + connector.getLocalPort());
      assertThat(send(uri.resolve("/fast")).statusCode()).isEqualTo(200);
      assertThat(send(uri.resolve("/async")).statusCode()).isEqualTo(200);
      assertThat(send(uri.resolve("/health")).statusCode()).isEqualTo(200);
      assertNoPermitLeaked(10, api);
      assertThat(api.snapshot().admitted()).isEqualTo(2);
    } finally {
      app.close();
      tomcat.stop();
      tomcat.destroy();
    }
  }

  @Test
  void aMappingOfOnesOwnDelegatesToTheStandardOne() {
    OutcomeMapping outcomes = outcomes();
    assertThat(outcomes.outcome(Ending.COMPLETED, 502, null)).isEqualTo(Outcome.DROPPED);
    assertThat(outcomes.outcome(Ending.COMPLETED, 200, null)).isEqualTo(Outcome.SUCCESS);
    assertThat(outcomes.outcome(Ending.COMPLETED, 404, null)).isEqualTo(Outcome.IGNORED);
  }

  @Test
  void shadowModeAdmitsUntilSwitchedToEnforcing() throws Exception {
    Limiter apiLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
    long held = apiLimiter.tryAcquire();
    SluiceFilter shadow = SluiceFilter.newBuilder(apiLimiter).monitorOnly(true).build();
    FakeResponse admitted = new FakeResponse();
    shadow.doFilter(new FakeRequest("/q"), admitted, (req, res) -> { });
    assertThat(admitted.status).isEqualTo(200);
    assertThat(apiLimiter.snapshot().monitoredRejections()).isEqualTo(1);

    shadow.monitorOnly(false);                                   // enforcing from now on
    FakeResponse refused = new FakeResponse();
    shadow.doFilter(new FakeRequest("/q"), refused, (req, res) -> { });
    assertThat(refused.status).isEqualTo(503);
    apiLimiter.release(held, Outcome.SUCCESS);
    assertThat(apiLimiter.inFlight()).isZero();
  }

  @Test
  void aStreamIsSampledAtItsFirstByte() throws Exception {
    SpyLimiter apiLimiter = new SpyLimiter(4);
    SluiceFilter streaming = SluiceFilter.newBuilder(apiLimiter).sampleAtFirstByte(true).build();
    FakeRequest request = new FakeRequest("/events");
    streaming.doFilter(request, new FakeResponse(), (req, res) ->
        req.startAsync().getResponse().getWriter().print("data: 1\n\n"));
    assertThat(apiLimiter.samples).hasSize(1);
    assertThat(apiLimiter.inFlight()).isEqualTo(1);
    request.async.complete();
    assertThat(apiLimiter.inFlight()).isZero();
    assertThat(apiLimiter.outcomes).containsExactly(Outcome.SUCCESS);
  }

  @Test
  void theTenantIsInTheRequest() throws Exception {
    Limiter apiLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(4)).build();
    SluiceFilter tenantAware = SluiceFilter.newBuilder(apiLimiter)
        .tenants(TenantHeader.newBuilder().build())              // X-Tenant, 400 if malformed
        .build();
    tenantAware.doFilter(new FakeRequest("/q").header("X-Tenant", "alice"), new FakeResponse(),
        (request, response) -> {
          Tenant tenant = (Tenant) request.getAttribute(SluiceFilter.TENANT_ATTRIBUTE);
          seen = tenant;
        });
    assertThat(seen).isEqualTo(Tenant.of("alice"));
    FakeResponse malformed = new FakeResponse();
    tenantAware.doFilter(new FakeRequest("/q").header("X-Tenant", ""), malformed,
        (request, response) -> { });
    assertThat(malformed.status).isEqualTo(400);
    assertThat(Ticket.isPermit(apiLimiter.tryAcquire(4))).as("nothing held").isTrue();
  }

  @Test
  void aTenantOutOfQuotaGets429() throws Exception {
    Limiter apiLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(4)).build();
    KeyedRateLimiter<Tenant> quotas = KeyedRateLimiter.newBuilder()
        .rate(100, Duration.ofMinutes(1)).burst(100).build();   // per tenant
    SluiceFilter quotaFilter = SluiceFilter.newBuilder(apiLimiter)
        .tenants(TenantHeader.newBuilder().build())
        .quotas(quotas)                                          // 429 once a tenant's is spent
        .refusals(HttpRefusals.newBuilder()
            .quotaPolicy("tenant", 100, Duration.ofMinutes(1)).build())
        .build();
    // 100 a minute: a refill every 600 ms, so the burst runs out long before one comes back.
    int admitted = 0;
    int status = 200;
    while (status == 200 && admitted < 1_000) {
      FakeResponse response = new FakeResponse();
      quotaFilter.doFilter(new FakeRequest("/q").header("X-Tenant", "alice"), response,
          (request, res) -> { });
      status = response.status;
      admitted += status == 200 ? 1 : 0;
    }
    assertThat(status).isEqualTo(429);
    assertThat(admitted).isGreaterThanOrEqualTo(100);
    assertThat(apiLimiter.inFlight()).isZero();
  }

  @Test
  void theDocsShowTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/19-servlet.md"),
        Path.of("src", "test", "java", "io", "sluice", "servlet", "ServletDocsTest.java"));
  }
}
