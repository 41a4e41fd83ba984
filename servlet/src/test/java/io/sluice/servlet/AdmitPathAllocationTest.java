package io.sluice.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Limiter;
import io.sluice.http.RouteTable;
import io.sluice.limit.FixedLimit;
import io.sluice.metrics.LimiterSnapshot;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/**
 * The filter allocates nothing for a request without priority and tenant fields that is admitted
 * and completes synchronously, with one limiter or with a route table. Bytes are counted by the
 * JVM for this thread over 100,000 requests after a warm-up; one object per request would be
 * 1.6 MB or more, and the bound of 32 KiB absorbs what the JVM itself may allocate on this thread
 * meanwhile (class initialisation, deoptimisation).
 */
class AdmitPathAllocationTest {
  private static final int CALLS = 100_000;
  private static final long PROBE_SLACK_BYTES = 32 * 1024;
  private static final FilterChain APPLICATION = (request, response) -> { };

  private final Limiter limiter = Limiter.newBuilder().algorithm(FixedLimit.of(100)).build();
  private final Request request = new Request();
  private final Response response = new Response();

  private static long allocatedBytes() {
    try {
      Object bean = Class.forName("java.lang.management.ManagementFactory")
          .getMethod("getThreadMXBean").invoke(null);
      Method allocated = Class.forName("com.sun.management.ThreadMXBean")
          .getMethod("getCurrentThreadAllocatedBytes");
      return (Long) allocated.invoke(bean);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("this JVM does not count allocated bytes per thread", e);
    }
  }

  private long bytesFor(SluiceFilter filter) throws Exception {
    for (int i = 0; i < CALLS; i++) {
      filter.doFilter(request, response, APPLICATION);
    }
    long first = allocatedBytes();
    long before = allocatedBytes();
    long probe = before - first; // the reflective call boxes its result
    for (int i = 0; i < CALLS; i++) {
      filter.doFilter(request, response, APPLICATION);
    }
    long spent = allocatedBytes() - before - probe;
    assertThat(limiter.inFlight()).isZero();
    return spent;
  }

  @Test
  void anAdmittedSynchronousRequestAllocatesNothing() throws Exception {
    assertThat(bytesFor(SluiceFilter.newBuilder(limiter).build()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(SluiceFilter.newBuilder(RouteTable.newBuilder(limiter)
        .prefix("/search", limiter).bypass("/health").build()).build()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(limiter.snapshot().admitted()).isEqualTo(4L * CALLS);
  }

  /** A request without priority or tenant field; nothing it returns is made per call. */
  private static final class Request extends HttpServletRequestWrapper {
    Request() {
      super(Unsupported.of(HttpServletRequest.class));
    }

    @Override
    public DispatcherType getDispatcherType() {
      return DispatcherType.REQUEST;
    }

    @Override
    public String getRequestURI() {
      return "/search/books/1234";
    }

    @Override
    public String getHeader(String name) {
      return null;
    }

    @Override
    public boolean isAsyncStarted() {
      return false;
    }
  }

  /** A response that answers its status. */
  private static final class Response extends HttpServletResponseWrapper {
    Response() {
      super(Unsupported.of(HttpServletResponse.class));
    }

    @Override
    public int getStatus() {
      return 200;
    }
  }
}
