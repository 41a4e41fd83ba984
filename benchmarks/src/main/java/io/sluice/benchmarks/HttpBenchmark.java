package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.http.HttpRefusal;
import io.sluice.http.HttpRefusals;
import io.sluice.http.MalformedHeaderException;
import io.sluice.http.PriorityHeader;
import io.sluice.http.ResponseWriter;
import io.sluice.http.Route;
import io.sluice.http.RouteTable;
import io.sluice.http.Tenant;
import io.sluice.http.TenantHeader;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the HTTP module adds to a request, piece by piece: routing a path, reading the priority
 * field (absent, from a trusted IPv4 peer, from an untrusted IPv6 one), reading a tenant, and, on
 * the refusal side, making a 503 or a tenant's 429 and writing one through a
 * {@link ResponseWriter}. {@link #bareAdmit} (the limiter's round trip alone) and
 * {@link #admitWithoutFields} (routing, an absent priority field and an absent tenant field
 * around the same round trip) give the overhead of the admit path as a ratio. Run it with
 * {@code -prof gc}: the admit path and the header parsing should show 0 B/op.
 *
 * <p>Inputs are read from non-final fields so that the JIT cannot fold them into constants.
 * The limiters never bind. Single-threaded by intent: the pieces share no mutable state but the
 * limiters, which {@code AdmitBenchmark} measures under contention.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class HttpBenchmark {
  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1000)).build();
  private final HttpRefusals refusals = HttpRefusals.newBuilder()
      .quotaPolicy("tenant", 100, Duration.ofSeconds(1)).build();
  private final PriorityHeader priorities = PriorityHeader.newBuilder()
      .trustedSources(TrustedSources.of("10.0.0.0/8", "fd00::/8")).build();
  private final TenantHeader tenants = TenantHeader.newBuilder().build();
  private final RouteTable<Limiter> routes = RouteTable.newBuilder(limiter)
      .prefix("/search", limiter).exact("/query", limiter).bypass("/health")
      .bypassPrefix("/metrics").build();
  private final Sink sink = new Sink();

  String path = "/search/books/1234";
  String noField = null;
  String trustedPeer = "10.1.2.3";
  String untrustedPeer = "2001:db8::7";
  String raise = "critical-plus";
  String lower = "Sheddable_Plus";
  String tenantValue = "alice";
  Tenant alice = Tenant.of("alice");
  long overload = Ticket.rejection(RejectReason.LIMIT_REACHED, 1_500_000_000L);
  long quota = Ticket.rejection(RejectReason.RATE_LIMITED, 250_000_000L);
  int limit = 11;

  /** The limiter's admit round trip alone: the baseline of {@link #admitWithoutFields}. */
  @Benchmark
  public long bareAdmit() {
    long ticket = limiter.tryAcquire();
    limiter.release(ticket, Outcome.SUCCESS);
    return ticket;
  }

  /**
   * What an integration does for a request without priority or tenant fields: route the path,
   * read both absent fields, then the same round trip as {@link #bareAdmit}.
   */
  @Benchmark
  public long admitWithoutFields() throws MalformedHeaderException {
    Route<Limiter> route = routes.route(path);
    Priority priority = priorities.resolve(noField, trustedPeer);
    Tenant tenant = tenants.resolve(noField);
    long ticket = route.target().tryAcquire();
    route.target().release(ticket, Outcome.SUCCESS);
    return ticket + priority.ordinal() + tenant.key().length();
  }

  /** A raw path to its route: a prefix three segments up. */
  @Benchmark
  public Route<Limiter> route() {
    return routes.route(path);
  }

  /** No priority field: the default, without a look at the peer. */
  @Benchmark
  public Priority priorityAbsent() {
    return priorities.resolve(noField, trustedPeer);
  }

  /** A trusted IPv4 peer raising its priority. */
  @Benchmark
  public Priority priorityTrustedIpv4() {
    return priorities.resolve(raise, trustedPeer);
  }

  /** An untrusted IPv6 peer lowering its own priority (mixed case, an underscore). */
  @Benchmark
  public Priority priorityUntrustedIpv6() {
    return priorities.resolve(lower, untrustedPeer);
  }

  /** A tenant field: the tenant of its octets (one small object). */
  @Benchmark
  public Tenant tenant() throws MalformedHeaderException {
    return tenants.resolve(tenantValue);
  }

  /** A 503 for an overload: status, five fields, the problem body. */
  @Benchmark
  public HttpRefusal refuseOverload() {
    return refusals.refuse(overload, limit);
  }

  /** A tenant's 429, with its partition key. */
  @Benchmark
  public HttpRefusal refuseQuota() {
    return refusals.refuse(quota, limit, alice);
  }

  /** A 503 made and written through a writer (the body copy included). */
  @Benchmark
  public long writeOverloadRefusal() throws IOException {
    refusals.refuse(overload, limit).writeTo(sink);
    return sink.written;
  }

  /** A writer that keeps only what a benchmark must consume. */
  static final class Sink implements ResponseWriter {
    long written;

    @Override
    public void status(int status) {
      written += status;
    }

    @Override
    public void header(String name, String value) {
      written += value.length();
    }

    @Override
    public void body(byte[] content) {
      written += content.length;
    }
  }
}
