package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.Ticket;
import io.sluice.docs.DocSnippets;
import io.sluice.limit.FixedLimit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Java blocks of docs/12-http.md, line for line (the last test checks it), compiled and run.
 * The snippets read like a servlet filter; {@link ServletRequest}, {@link ServletResponse} and
 * {@link FilterChain} below stand in for the servlet types with the same method names, so that
 * this module needs no servlet API to test its page.
 */
class HttpDocsTest {
  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final Limiter apiLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(2)).build();
  private final Limiter searchLimiter = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final FilterChain chain = (request, response) -> happened = "bypassed";
  private long held = -1;
  private Priority priority;
  private Tenant tenant;
  private String happened;

  // --------------------------------------------------------------------------- the snippets

  private final HttpRefusals refusals = HttpRefusals.newBuilder()
      .overloadStatus(503)                                   // the default; 429 by choice
      .quotaPolicy("tenant", 100, Duration.ofSeconds(1))     // what a 429 advertises
      .build();

  /** Writes a refusal to a servlet response. */
  private static ResponseWriter writerOf(ServletResponse response) {
    ResponseWriter writer = new ResponseWriter() {
      @Override public void status(int status) {
        response.setStatus(status);
      }

      @Override public void header(String name, String value) {
        response.setHeader(name, value);
      }

      @Override public void body(byte[] content) throws IOException {
        response.setContentLength(content.length);
        response.getOutputStream().write(content);
      }
    };
    return writer;
  }

  /** Admits one request through the limiter alone into {@link #held}, or writes its refusal. */
  private void admit(ServletResponse response) throws IOException {
    ResponseWriter writer = writerOf(response);
    long ticket = limiter.tryAcquire();
    if (Ticket.isRejection(ticket)) {
      refusals.refuse(ticket, limiter.limit()).writeTo(writer); // 503, Retry-After, problem
      return;
    }
    held = ticket;
  }

  private final PriorityHeader priorities = PriorityHeader.newBuilder()
      .trustedSources(TrustedSources.of("10.0.0.0/8"))       // the gateway's network
      .build();
  private final TenantHeader tenants = TenantHeader.newBuilder().build(); // X-Tenant

  /** Reads the priority and tenant of a request into the fields below, or writes a 400. */
  private void classify(ServletRequest request, ServletResponse response) throws IOException {
    ResponseWriter writer = writerOf(response);
    Priority priority = priorities.resolve(request.getHeader("X-Priority"),
        request.getRemoteAddr());                            // believed from 10/8 only
    Tenant tenant;
    try {
      tenant = tenants.resolve(Collections.list(request.getHeaders("X-Tenant")));
    } catch (MalformedHeaderException e) {
      refusals.badRequest(e).writeTo(writer);                // 400, never a 500
      return;
    }
    this.priority = priority;
    this.tenant = tenant;
  }

  private final RouteTable<Limiter> routes = RouteTable.newBuilder(apiLimiter)
      .prefix("/search", searchLimiter)    // /search and /search/..., not /searchx
      .bypass("/health")                   // never admitted, never refused
      .build();

  /** Routes a request to its limiter, and records in {@link #happened} what became of it. */
  private void route(ServletRequest request, ServletResponse response) {
    Route<Limiter> route = routes.route(request.getRequestURI()); // raw: /%71uery is not /query
    if (route.bypass()) {
      chain.doFilter(request, response);     // health checks answer even under overload
      return;
    }
    long ticket = route.target().tryAcquire();
    if (Ticket.isRejection(ticket)) {
      happened = "refused";
      return;
    }
    route.target().release(ticket, Outcome.SUCCESS);
    happened = "admitted by " + (route.target() == searchLimiter ? "search" : "api");
  }

  // ------------------------------------------------------------------------------ the tests

  @Test
  void aSecondRequestOverTheLimitIsAnswered503WithEveryField() throws IOException {
    admit(new ServletResponse());
    assertThat(Ticket.isPermit(held)).isTrue();

    ServletResponse refused = new ServletResponse();
    admit(refused);

    assertThat(refused.status).isEqualTo(503);
    assertThat(refused.headers).containsEntry("Cache-Control", "no-store")
        .containsEntry("RateLimit-Policy", "\"concurrency\";q=1;qu=\"concurrent-requests\"")
        .containsKeys("Content-Type", "Retry-After", "RateLimit");
    assertThat(refused.contentLength).isEqualTo(refused.body.size()).isPositive();
    assertThat(MiniJson.object(refused.body.toString(StandardCharsets.UTF_8)))
        .containsEntry("reason", "LIMIT_REACHED");
    limiter.release(held, Outcome.SUCCESS);
  }

  @Test
  void priorityIsBelievedFromTheGatewayAndTenantsAreReadOrRefused() throws IOException {
    classify(new ServletRequest("10.0.0.7").header("X-Priority", "critical-plus")
        .header("X-Tenant", "alice"), new ServletResponse());
    assertThat(priority).isEqualTo(Priority.CRITICAL_PLUS);
    assertThat(tenant).isEqualTo(Tenant.of("alice"));

    classify(new ServletRequest("203.0.113.5").header("X-Priority", "critical-plus"),
        new ServletResponse());
    assertThat(priority).isEqualTo(Priority.CRITICAL);
    assertThat(tenant).isEqualTo(Tenant.of("anonymous"));

    ServletResponse response = new ServletResponse();
    tenant = null;
    classify(new ServletRequest("10.0.0.7").header("X-Tenant", "alice").header("X-Tenant", "bob"),
        response);
    assertThat(response.status).isEqualTo(400);
    assertThat(tenant).isNull();
  }

  @Test
  void pathsGoToTheirLimitersOrBypassAdmission() {
    Map<String, String> outcomes = new LinkedHashMap<>();
    for (String path : List.of("/search/books", "/searchx", "/health", "/health/../search/x")) {
      happened = null;
      route(new ServletRequest("10.0.0.7").path(path), new ServletResponse());
      outcomes.put(path, happened);
    }
    assertThat(outcomes).containsExactly(Map.entry("/search/books", "admitted by search"),
        Map.entry("/searchx", "admitted by api"), Map.entry("/health", "bypassed"),
        Map.entry("/health/../search/x", "admitted by api"));
  }

  @Test
  void theDocsShowTheseLines() {
    DocSnippets.assertShownInOrder(DocSnippets.page("docs/12-http.md"),
        Path.of("src", "test", "java", "io", "sluice", "http", "HttpDocsTest.java"));
  }

  // ----------------------------------------------------------- stand-ins for servlet types

  /** The few methods of a servlet request the snippets call. */
  static final class ServletRequest {
    private final String remoteAddress;
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private String path = "/";

    ServletRequest(String remoteAddress) {
      this.remoteAddress = remoteAddress;
    }

    ServletRequest header(String name, String value) {
      headers.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(value);
      return this;
    }

    ServletRequest path(String path) {
      this.path = path;
      return this;
    }

    String getHeader(String name) {
      List<String> values = headers.get(name);
      return values == null ? null : values.get(0);
    }

    Enumeration<String> getHeaders(String name) {
      return Collections.enumeration(headers.getOrDefault(name, List.of()));
    }

    String getRemoteAddr() {
      return remoteAddress;
    }

    String getRequestURI() {
      return path;
    }
  }

  /** The servlet filter chain: what runs the request past the filter. */
  @FunctionalInterface
  interface FilterChain {
    void doFilter(ServletRequest request, ServletResponse response);
  }

  /** The few methods of a servlet response the snippets call. */
  static final class ServletResponse {
    int status = 200;
    int contentLength = -1;
    final Map<String, String> headers = new LinkedHashMap<>();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    void setStatus(int status) {
      this.status = status;
    }

    void setHeader(String name, String value) {
      headers.put(name, value);
    }

    void setContentLength(int length) {
      this.contentLength = length;
    }

    OutputStream getOutputStream() {
      return body;
    }
  }
}
