package io.sluice.benchmarks;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.sluice.Ticket;
import io.sluice.breaker.CircuitBreaker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sluice's circuit breaker next to Resilience4j's {@code CircuitBreaker}, configured alike (a
 * count window of 100 calls, at least 20 to decide, 50% failures, 10 s slow calls), in the same
 * run: a closed-state round trip (permission, the call's two clock readings, success recorded) and
 * a refusal by an open breaker. Run with {@code -t 1} and {@code -t 2}, and {@code -prof gc} for
 * the allocation rate.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class CircuitBreakerBenchmark {

  /** One call through a breaker, so that each benchmark method is the same for both. */
  interface Breaker {
    /** Asks permission, and if granted records a successful call; returns whether it was granted. */
    boolean succeed();
  }

  @Param({"SLUICE", "RESILIENCE4J"})
  public Implementation implementation;

  private Breaker closed;
  private Breaker open;

  @Setup
  public void setUp() {
    if (implementation == Implementation.SLUICE) {
      closed = sluice(false);
      open = sluice(true);
    } else {
      closed = resilience4j(false);
      open = resilience4j(true);
    }
  }

  private static Breaker sluice(boolean opened) {
    CircuitBreaker breaker = CircuitBreaker.newBuilder()
        .countWindow(100).minimumCalls(20).failureRateThreshold(50)
        .slowCalls(Duration.ofSeconds(10), 100).waitInOpen(Duration.ofHours(1)).build();
    if (opened) {
      breaker.onRefused(breaker.tryAcquire(), Duration.ofMinutes(5).toNanos());
    }
    return () -> {
      long permit = breaker.tryAcquire();
      if (Ticket.isRejection(permit)) {
        return false;
      }
      // The breaker reads the clock at acquire and at completion to judge slow calls.
      breaker.onSuccess(permit);
      return true;
    };
  }

  private static Breaker resilience4j(boolean opened) {
    io.github.resilience4j.circuitbreaker.CircuitBreaker breaker =
        io.github.resilience4j.circuitbreaker.CircuitBreaker.of("bench", CircuitBreakerConfig.custom()
            .slidingWindowType(SlidingWindowType.COUNT_BASED).slidingWindowSize(100)
            .minimumNumberOfCalls(20).failureRateThreshold(50)
            .slowCallDurationThreshold(Duration.ofSeconds(10)).slowCallRateThreshold(100)
            .waitDurationInOpenState(Duration.ofHours(1)).build());
    if (opened) {
      breaker.transitionToOpenState();
    }
    return () -> {
      if (!breaker.tryAcquirePermission()) {
        return false;
      }
      // As Resilience4j's own decorators do: time the call, then record its duration.
      long start = breaker.getCurrentTimestamp();
      breaker.onSuccess(breaker.getCurrentTimestamp() - start, breaker.getTimestampUnit());
      return true;
    };
  }

  @Benchmark
  public boolean closedRoundTrip() {
    return closed.succeed();
  }

  @Benchmark
  public boolean openReject() {
    return open.succeed();
  }
}
