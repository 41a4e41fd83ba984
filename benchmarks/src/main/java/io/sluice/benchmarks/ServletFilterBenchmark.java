package io.sluice.benchmarks;

import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.TrustedSources;
import io.sluice.limit.FixedLimit;
import io.sluice.servlet.SluiceFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.Enumeration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@code SluiceFilter} adds to a request, in-process with request and response objects in
 * memory (no sockets, no server): the baseline {@link #limiterWithHeaderParsing} is what a
 * hand-written filter must do at least (read the priority field, one limiter round trip), and
 * {@link #filterAdmit} is the whole filter for the same request, routing, the status read and the
 * outcome mapping included; the target is a ratio of at most 1.3. {@link #bareAdmit} is
 * the limiter alone. Run with {@code -prof gc}: the admit paths without a priority field should
 * show 0 B/op. {@link #filterRefusal} answers a request of a full limiter without calling the
 * application (the chain counts its calls: 0).
 *
 * <p>Single-threaded by intent: the contention of the limiter is {@code AdmitBenchmark}'s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class ServletFilterBenchmark {
  final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(1000)).build();
  private final Limiter full = Limiter.newBuilder().algorithm(FixedLimit.of(1)).build();
  private final PriorityHeader priorities = PriorityHeader.newBuilder()
      .trustedSources(TrustedSources.loopback()).build();
  private final SluiceFilter filter = SluiceFilter.newBuilder(limiter).priorities(priorities)
      .build();
  private final SluiceFilter routed = SluiceFilter.newBuilder(RouteTable.newBuilder(limiter)
          .prefix("/search", limiter).exact("/query", limiter).bypass("/health")
          .bypassPrefix("/metrics").build())
      .priorities(priorities).build();
  private final SluiceFilter refusing = SluiceFilter.newBuilder(full).build();
  final Application application = new Application();

  final Request plain = new Request("/search/books/1234", null);
  final Request prioritized = new Request("/search/books/1234", "critical-plus");
  final Response response = new Response();
  private long held;

  /** Fills the refusing filter's limiter. */
  @Setup(Level.Trial)
  public void fill() {
    held = full.tryAcquire();
  }

  /** Empties it; the application must not have run for a refusal. */
  @TearDown(Level.Trial)
  public void empty() {
    full.release(held, Outcome.IGNORED);
  }

  /** The limiter's round trip alone. */
  @Benchmark
  public long bareAdmit() {
    long ticket = limiter.tryAcquire();
    limiter.release(ticket, Outcome.SUCCESS);
    return ticket;
  }

  /**
   * The baseline of {@link #filterAdmit}: the priority field read from the request (absent) and
   * the limiter's round trip at that priority.
   */
  @Benchmark
  public long limiterWithHeaderParsing() {
    Request request = plain;
    Priority priority = priorities.resolve(request.getHeader(priorities.name()),
        request.getRemoteAddr());
    long ticket = limiter.tryAcquire(1, priority);
    limiter.release(ticket, Outcome.SUCCESS);
    return ticket;
  }

  /** The filter, one limiter for every path, a request without a priority field. */
  @Benchmark
  public int filterAdmit() throws Exception {
    filter.doFilter(plain, response, application);
    return response.getStatus();
  }

  /** The filter with five routes (a prefix three segments up matches). */
  @Benchmark
  public int filterAdmitRouted() throws Exception {
    routed.doFilter(plain, response, application);
    return response.getStatus();
  }

  /** The filter, a request whose priority field a trusted peer set. */
  @Benchmark
  public int filterAdmitWithPriority() throws Exception {
    filter.doFilter(prioritized, response, application);
    return response.getStatus();
  }

  /** A request refused by a full limiter: a 503 made and written, the application not called. */
  @Benchmark
  public long filterRefusal() throws Exception {
    refusing.doFilter(plain, response, application);
    return response.written + application.calls;
  }

  /** The application: does nothing but count. */
  static final class Application implements FilterChain {
    long calls;

    @Override
    public void doFilter(ServletRequest request, ServletResponse response) {
      calls++;
    }
  }

  /** A request in memory; what the filter does not call throws. */
  static final class Request extends HttpServletRequestWrapper {
    private final String uri;
    private final String priority;

    Request(String uri, String priority) {
      super(unsupported(HttpServletRequest.class));
      this.uri = uri;
      this.priority = priority;
    }

    @Override
    public DispatcherType getDispatcherType() {
      return DispatcherType.REQUEST;
    }

    @Override
    public String getRequestURI() {
      return uri;
    }

    @Override
    public String getHeader(String name) {
      return name.equalsIgnoreCase(PriorityHeader.DEFAULT_NAME) ? priority : null;
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
      String value = getHeader(name);
      return value == null ? Collections.emptyEnumeration()
          : Collections.enumeration(Collections.singletonList(value));
    }

    @Override
    public String getRemoteAddr() {
      return "127.0.0.1";
    }

    @Override
    public boolean isAsyncStarted() {
      return false;
    }
  }

  /** A response in memory that keeps only what a benchmark must consume. */
  static final class Response extends HttpServletResponseWrapper {
    private final ServletOutputStream out = new ServletOutputStream() {
      @Override
      public void write(int b) {
        written++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        written += len;
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setWriteListener(WriteListener listener) {
        throw new UnsupportedOperationException();
      }
    };
    long written;
    private int status = 200;

    Response() {
      super(unsupported(HttpServletResponse.class));
    }

    @Override
    public int getStatus() {
      return status;
    }

    @Override
    public void setStatus(int status) {
      this.status = status;
    }

    @Override
    public void setHeader(String name, String value) {
      written += value.length();
    }

    @Override
    public void setContentLength(int length) {
      written += length;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      return out;
    }
  }

  static <T> T unsupported(Class<T> type) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
        (proxy, method, args) -> {
          throw new UnsupportedOperationException(type.getSimpleName() + "." + method.getName());
        }));
  }
}
