package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The example adapter over {@link SimpleBoundedPool}, with the default adaptive guard, under eight
 * threads for a bounded number of checkouts. Invariants: a resource is never held by two callers
 * at once, no more than the pool's size are out at once, every checkout is returned, and the guard
 * ends with nothing in flight. Callers beyond the limit wait in the guard's line (see
 * {@link PoolGuardWaitingStressTest} for deadlines and interruptions).
 */
@Tag("stress")
class PoolGuardStressTest {

  /** A pooled resource that notices being used by two holders at once. */
  static final class Connection {
    final int id;
    final AtomicBoolean inUse = new AtomicBoolean();

    Connection(int id) {
      this.id = id;
    }
  }

  @Test
  void manyThreadsCheckOutAndReturnThroughTheGuard() throws InterruptedException {
    int size = 4;
    SimpleBoundedPool<Connection> pool = new SimpleBoundedPool<>(size, Connection::new);
    PoolGuard<Connection> guard = PoolGuard.newBuilder(pool.adapter()).maxCheckouts(size).build();
    AtomicInteger out = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicReference<String> violation = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      threads.add(new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < 5_000; i++) {
            try (Lease<Connection> lease = guard.acquire(Duration.ofSeconds(5))) {
              Connection c = lease.resource();
              if (!c.inUse.compareAndSet(false, true)) {
                violation.compareAndSet(null, "connection " + c.id + " held twice");
              }
              if (out.incrementAndGet() > size) {
                violation.compareAndSet(null, "more than " + size + " checked out");
              }
              out.decrementAndGet();
              c.inUse.set(false);
              served.incrementAndGet();
            } catch (AdmissionRejectedException e) {
              refused.incrementAndGet();
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    threads.forEach(Thread::start);
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    System.out.printf("served %d, refused %d, final limit %d%n", served.get(),
        refused.get(), guard.limiter().limit());
    assertThat(violation.get()).isNull();
    assertThat(served.get() + refused.get()).isEqualTo(8 * 5_000);
    assertThat(served.get()).isPositive();
    assertThat(pool.idle()).as("every connection is back").isEqualTo(size);
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(guard.limiter().limit()).isBetween(1, size);
  }
}
