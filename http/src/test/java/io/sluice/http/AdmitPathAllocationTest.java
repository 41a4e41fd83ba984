package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Priority;
import java.lang.reflect.Method;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * What an integration does for every admitted request allocates nothing: reading an absent
 * priority or tenant field, reading a priority from a trusted or untrusted peer, routing a path.
 * Bytes are counted by the JVM for this thread, over 100,000 calls after a warm-up; a single
 * allocation per call would be 1.6 MB or more; the bound of 4 KiB absorbs what the JVM itself may
 * allocate on this thread meanwhile (a compilation's bookkeeping), never one object per call.
 */
class AdmitPathAllocationTest {
  private static final int CALLS = 100_000;
  private static final long PROBE_SLACK_BYTES = 4096;

  private final PriorityHeader priorities = PriorityHeader.newBuilder()
      .trustedSources(TrustedSources.of("10.0.0.0/8", "fd00::/8")).build();
  private final TenantHeader tenants = TenantHeader.newBuilder().build();
  private final RouteTable<String> routes = RouteTable.newBuilder("api")
      .prefix("/search", "search").exact("/query", "query").bypass("/health").build();

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

  /** Returns the bytes allocated by {@code CALLS} calls of {@code call}, after a warm-up. */
  private static long bytesFor(LongSupplier call) {
    long sink = 0;
    for (int i = 0; i < CALLS; i++) {
      sink += call.getAsLong();
    }
    long first = allocatedBytes();
    long before = allocatedBytes();
    long probe = before - first; // the reflective call boxes its result
    for (int i = 0; i < CALLS; i++) {
      sink += call.getAsLong();
    }
    long spent = allocatedBytes() - before - probe;
    assertThat(sink).isNotNegative();
    return spent;
  }

  @Test
  void aRequestWithoutPriorityOrTenantFieldAllocatesNothing() {
    assertThat(bytesFor(() -> priorities.resolve((String) null, "10.1.2.3").ordinal()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> priorities.resolve((String) null, false).ordinal()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> {
      try {
        return tenants.resolve((String) null).key().length();
      } catch (MalformedHeaderException e) {
        throw new AssertionError(e);
      }
    })).isLessThan(PROBE_SLACK_BYTES);
  }

  @Test
  void readingAPriorityFromAnyPeerAllocatesNothing() {
    assertThat(bytesFor(() -> priorities.resolve("critical-plus", "10.1.2.3").ordinal()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> priorities.resolve(" Sheddable_Plus ", "192.168.7.1").ordinal()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> priorities.resolve("sheddable",
        "0:0:0:0:0:ffff:a01:203").ordinal())).isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> priorities.resolve("critical, sheddable", "fd12::1%eth0")
        .ordinal())).isLessThan(PROBE_SLACK_BYTES);
    assertThat(priorities.resolve("critical-plus", "fd12::1%eth0"))
        .isEqualTo(Priority.CRITICAL_PLUS);
  }

  @Test
  void routingAPathAllocatesNothing() {
    assertThat(bytesFor(() -> routes.route("/search/books/1234").target().length()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> routes.route("/query").target().length()))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> routes.route("/health").bypass() ? 1 : 0))
        .isLessThan(PROBE_SLACK_BYTES);
    assertThat(bytesFor(() -> routes.route("/elsewhere/../x").target().length()))
        .isLessThan(PROBE_SLACK_BYTES);
  }
}
