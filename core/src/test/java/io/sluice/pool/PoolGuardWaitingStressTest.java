package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, item 13: the waiting guard on real threads and the system clock. Many callers with
 * short deadlines compete for four connections while another thread interrupts them at random;
 * then callers wait while every connection is held and must all leave at their deadlines. No
 * timing is asserted: only that no connection is held twice, no more than four are out, every
 * caller ends (served, refused or interrupted), and the guard ends with nothing in flight and
 * nobody in line.
 */
@Tag("stress")
@Timeout(60)
class PoolGuardWaitingStressTest {
  private static final int SIZE = 4;

  /** A pooled resource that notices being used by two holders at once. */
  static final class Connection {
    final int id;
    final AtomicReference<Thread> holder = new AtomicReference<>();

    Connection(int id) {
      this.id = id;
    }
  }

  @Test
  void callersAreServedOrLeaveAndNoConnectionIsLostOrShared() throws InterruptedException {
    long seed = System.nanoTime();
    System.out.println("PoolGuardWaitingStressTest seed " + seed);
    SimpleBoundedPool<Connection> pool = new SimpleBoundedPool<>(SIZE, Connection::new);
    PoolGuard<Connection> guard = PoolGuard.newBuilder(pool.adapter()).maxCheckouts(SIZE).build();
    int threads = 16;
    int iterations = 3_000;
    AtomicInteger out = new AtomicInteger();
    LongAdder served = new LongAdder();
    LongAdder interrupted = new LongAdder();
    Map<RejectReason, LongAdder> refused = new ConcurrentHashMap<>();
    AtomicReference<String> violation = new AtomicReference<>();
    AtomicBoolean running = new AtomicBoolean(true);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      SplittableRandom random = new SplittableRandom(seed + t);
      workers.add(new Thread(() -> {
        awaitUninterruptibly(start);
        for (int i = 0; i < iterations; i++) {
          Duration timeout = Duration.ofNanos(random.nextLong(2_000_000));
          try (Lease<Connection> lease = guard.acquire(timeout)) {
            Connection c = lease.resource();
            if (!c.holder.compareAndSet(null, Thread.currentThread())) {
              violation.compareAndSet(null, "connection " + c.id + " held twice");
            }
            if (out.incrementAndGet() > SIZE) {
              violation.compareAndSet(null, "more than " + SIZE + " connections out");
            }
            for (int spin = random.nextInt(200); spin > 0; spin--) {
              Thread.onSpinWait();
            }
            out.decrementAndGet();
            c.holder.set(null);
            served.increment();
          } catch (AdmissionRejectedException e) {
            refused.computeIfAbsent(e.reason(), r -> new LongAdder()).increment();
          } catch (InterruptedException e) {
            interrupted.increment();
          }
        }
        Thread.interrupted(); // an interrupt that came after the last acquire
      }, "caller-" + t));
    }
    Thread interrupter = new Thread(() -> {
      SplittableRandom random = new SplittableRandom(seed - 1);
      while (running.get()) {
        workers.get(random.nextInt(threads)).interrupt();
        for (int spin = random.nextInt(20_000); spin > 0; spin--) {
          Thread.onSpinWait();
        }
      }
    }, "interrupter");
    workers.forEach(Thread::start);
    interrupter.start();
    start.countDown();
    for (Thread t : workers) {
      t.join();
    }
    running.set(false);
    interrupter.join();

    long refusedTotal = refused.values().stream().mapToLong(LongAdder::sum).sum();
    System.out.printf("served %d, refused %s, interrupted %d, final limit %d%n", served.sum(),
        refused, interrupted.sum(), guard.limiter().limit());
    assertThat(violation.get()).isNull();
    assertThat(served.sum() + refusedTotal + interrupted.sum())
        .as("every acquire ended one way").isEqualTo((long) threads * iterations);
    assertThat(served.sum()).isPositive();
    assertThat(refused.keySet()).as("the line (1024) never fills with 16 callers")
        .doesNotContain(RejectReason.LIMIT_REACHED);
    assertThat(pool.idle()).as("every connection is back").isEqualTo(SIZE);
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(guard.waiters()).isZero();
    assertThat(guard.limiter().snapshot().invalidReleases()).isZero();
  }

  @Test
  void waitersPastTheirDeadlineLeaveWhileEveryConnectionIsHeld() throws InterruptedException {
    long seed = System.nanoTime();
    System.out.println("PoolGuardWaitingStressTest seed " + seed);
    SimpleBoundedPool<Connection> pool = new SimpleBoundedPool<>(SIZE, Connection::new);
    PoolGuard<Connection> guard = PoolGuard.newBuilder(pool.adapter()).maxCheckouts(SIZE).build();
    List<Lease<Connection>> held = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      held.add(guard.acquire(Duration.ofSeconds(1)));
    }
    int callers = 32;
    Map<RejectReason, AtomicLong> reasons = new EnumMap<>(RejectReason.class);
    for (RejectReason r : RejectReason.values()) {
      reasons.put(r, new AtomicLong());
    }
    AtomicInteger leased = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed);
    for (int t = 0; t < callers; t++) {
      Duration timeout = Duration.ofNanos(1 + random.nextLong(20_000_000));
      threads.add(new Thread(() -> {
        try {
          guard.acquire(timeout).close();
          leased.incrementAndGet();
        } catch (AdmissionRejectedException e) {
          reasons.get(e.reason()).incrementAndGet();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(); // a waiter that stayed past its deadline would hang here until the timeout
    }
    assertThat(leased).as("no connection was free").hasValue(0);
    assertThat(reasons.get(RejectReason.DEADLINE)).hasValue(callers);
    assertThat(guard.waiters()).isZero();
    assertThat(guard.limiter().inFlight()).isEqualTo(SIZE);

    held.get(0).release(Outcome.DROPPED);
    for (int i = 1; i < SIZE; i++) {
      held.get(i).close();
    }
    assertThat(guard.limiter().inFlight()).isZero();
    assertThat(pool.idle()).isEqualTo(SIZE);
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    for (;;) {
      try {
        latch.await();
        return;
      } catch (InterruptedException e) {
        // the interrupter has not started yet; keep waiting
      }
    }
  }
}
