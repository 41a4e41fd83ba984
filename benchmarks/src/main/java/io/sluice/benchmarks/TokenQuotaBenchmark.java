package io.sluice.benchmarks;

import io.sluice.Ticket;
import io.sluice.rate.KeyedRateLimiter;
import io.sluice.rate.TokenQuota;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reconciled admission of a token quota (an estimate taken, then reconciled with a smaller
 * actual count: a refund) next to the plain admission of a keyed rate limiter of the same rate, in
 * the same run; and a token quota's refusal. Rates far above what the threads can take, so every
 * admission is admitted; one key per benchmark thread. Run with {@code -t 1} and {@code -t 2}, and
 * {@code -prof gc} for the allocation rate (both admissions should show 0 B/op).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class TokenQuotaBenchmark {
  private static final long PER_SECOND = 1_000_000_000L;
  private static final int BURST = 1_000_000;

  private KeyedRateLimiter<String> keyed;
  private TokenQuota<String> quota;
  private TokenQuota<String> exhausted;

  @Setup
  public void setUp() {
    keyed = KeyedRateLimiter.newBuilder().rate(PER_SECOND, Duration.ofSeconds(1)).burst(BURST)
        .build();
    quota = TokenQuota.newBuilder().rate(PER_SECOND, Duration.ofSeconds(1)).burst(BURST)
        .build();
    exhausted = TokenQuota.newBuilder().rate(1, Duration.ofHours(1)).burst(1)
        .build();
    exhausted.tryAcquire("tenant-0", 1);
  }

  /** Each benchmark thread is its own tenant. */
  @State(Scope.Thread)
  public static class Tenant {
    private static final AtomicInteger NEXT = new AtomicInteger();
    String key;

    @Setup
    public void setUp() {
      key = "tenant-" + NEXT.getAndIncrement();
    }
  }

  /** The baseline: a keyed rate limiter's admission of 2 permits (no release exists). */
  @Benchmark
  public boolean keyedAdmit(Tenant tenant) {
    return Ticket.isPermit(keyed.tryAcquire(tenant.key, 2));
  }

  /** A token quota's round trip: an estimate of 2 admitted, then reconciled with 1 (a refund). */
  @Benchmark
  public boolean reconciledRoundTrip(Tenant tenant) {
    long reservation = quota.tryAcquire(tenant.key, 2);
    return Ticket.isPermit(reservation) && quota.reconcile(reservation, 1);
  }

  /** A token quota's refusal: the bucket is empty for an hour. */
  @Benchmark
  public long reject() {
    return exhausted.tryAcquire("tenant-0", 1);
  }
}
