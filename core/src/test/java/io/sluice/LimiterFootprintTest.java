package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.limit.VegasLimit;
import io.sluice.testing.ManualClock;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/**
 * What a limiter costs in memory does not depend on its maxLimit: the heap a limiter takes is
 * bounded by what building it allocates, measured on this thread by the JVM's exact per-thread
 * allocation counter.
 */
class LimiterFootprintTest {
  private static final long KIB = 1024;

  /**
   * Bytes allocated so far by the calling thread. Read through reflection: the tests are compiled
   * into the io.sluice module, which does not read java.management, but run on the class path.
   */
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

  /** Bytes allocated while building a limiter around {@code algorithm}, less the probe's own. */
  private static long bytesToBuild(LimitAlgorithm algorithm) {
    long first = allocatedBytes();
    long before = allocatedBytes();
    long probe = before - first;
    Limiter limiter =
        Limiter.newBuilder().algorithm(() -> algorithm).clock(new ManualClock()).build();
    long spent = allocatedBytes() - before - probe;
    assertThat(((WindowedLimiter) limiter).maxLimit()).isEqualTo(algorithm.maxLimit());
    return spent;
  }

  @Test
  void aLimiterAtTheLargestMaxLimitTakesUnder64KiBUntilWorkIsInFlight() {
    int largest = LimitAlgorithm.MAX_SUPPORTED_LIMIT;
    // Load and initialise every class involved before measuring.
    bytesToBuild(FixedLimit.of(largest));

    long fixed = bytesToBuild(FixedLimit.of(largest));
    long vegas = bytesToBuild(VegasLimit.newBuilder().maxLimit(largest).build());
    long small = bytesToBuild(FixedLimit.of(1000));

    assertThat(fixed).as("bytes to build at maxLimit 2^20").isLessThan(64 * KIB);
    assertThat(vegas).as("bytes to build Vegas at maxLimit 2^20").isLessThan(64 * KIB);
    assertThat(fixed).as("the same as at maxLimit 1000").isLessThanOrEqualTo(small + KIB);
  }
}
