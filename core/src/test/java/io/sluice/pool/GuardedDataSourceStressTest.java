package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.sluice.AdmissionRejectedException;
import io.sluice.Outcome;
import io.sluice.RejectReason;
import io.sluice.metrics.LimiterSnapshot;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.h2.jdbc.JdbcConnection;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, item 6: a {@link GuardedDataSource} over HikariCP (4 connections, H2 in memory) on
 * real threads and the system clock. 16 callers check connections out in every way (plain, with a
 * timeout, under a deadline scope), run a query or spin, and close (once, twice, or through the
 * lease as a drop) while another thread interrupts them at random. No timing is asserted; the
 * invariants are: no database connection is held by two callers, no more than 4 are out, every
 * call ends one way, the pool never times out (the guard admits no more than it has), and at the
 * end nothing is in flight, nobody waits, the pool has every connection back, and no permit was
 * released twice.
 */
@Tag("stress")
@Timeout(60)
class GuardedDataSourceStressTest {
  private static final int SIZE = 4;

  @Test
  void callersAreServedOrLeaveAndNoConnectionIsLostOrShared() throws Exception {
    long seed = System.nanoTime();
    System.out.println("GuardedDataSourceStressTest seed " + seed);
    try (HikariDataSource pool = H2Pools.hikari("stress", SIZE, Duration.ofSeconds(30))) {
      GuardedDataSource db = GuardedDataSource.of(
          PoolGuard.newBuilder(DataSourceAdapter.of(pool)).maxCheckouts(SIZE).build());
      PoolGuard<Connection> guard = db.guard();
      int threads = 16;
      int iterations = 1_500;
      AtomicInteger out = new AtomicInteger();
      Map<JdbcConnection, Thread> holders = new ConcurrentHashMap<>();
      LongAdder served = new LongAdder();
      LongAdder interrupted = new LongAdder();
      LongAdder queryFailed = new LongAdder();
      LongAdder drops = new LongAdder();
      Map<RejectReason, LongAdder> refused = new ConcurrentHashMap<>();
      Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
      AtomicReference<String> violation = new AtomicReference<>();
      AtomicBoolean running = new AtomicBoolean(true);
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> callers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        SplittableRandom random = new SplittableRandom(seed + t);
        callers.add(new Thread(() -> {
          awaitUninterruptibly(start);
          for (int i = 0; i < iterations; i++) {
            try {
              Connection c = checkout(db, random);
              served.increment();
              try {
                use(c, random, out, holders, violation, queryFailed);
              } finally {
                if (close(c, random)) {
                  drops.increment();
                }
              }
            } catch (SQLException e) {
              if (e.getCause() instanceof AdmissionRejectedException) {
                RejectReason reason = ((AdmissionRejectedException) e.getCause()).reason();
                refused.computeIfAbsent(reason, r -> new LongAdder()).increment();
              } else if (e.getCause() instanceof InterruptedException) {
                interrupted.increment();
                Thread.interrupted();
              } else {
                unexpected.add(e);
              }
            } catch (RuntimeException | Error e) {
              unexpected.add(e);
            }
          }
          Thread.interrupted(); // an interrupt that came after the last call
        }, "caller-" + t));
      }
      Thread interrupter = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(seed - 1);
        while (running.get()) {
          callers.get(random.nextInt(threads)).interrupt();
          for (int spin = random.nextInt(50_000); spin > 0; spin--) {
            Thread.onSpinWait();
          }
        }
      }, "interrupter");
      callers.forEach(Thread::start);
      interrupter.start();
      start.countDown();
      for (Thread t : callers) {
        t.join();
      }
      running.set(false);
      interrupter.join();

      long refusedTotal = refused.values().stream().mapToLong(LongAdder::sum).sum();
      LimiterSnapshot s = guard.limiter().snapshot();
      System.out.printf("served %d (queries failed %d), refused %s, interrupted %d, limit %d, "
              + "succeeded %d, dropped %d, ignored %d%n", served.sum(), queryFailed.sum(), refused,
          interrupted.sum(), s.limit(), s.succeeded(), s.dropped(), s.ignored());
      assertThat(violation.get()).isNull();
      assertThat(unexpected).isEmpty();
      assertThat(served.sum() + refusedTotal + interrupted.sum())
          .as("every call ended one way").isEqualTo((long) threads * iterations);
      assertThat(served.sum()).isPositive();
      assertThat(refused.keySet()).as("the pool never timed out, and the line never filled")
          .doesNotContain(RejectReason.QUEUE_TIMEOUT, RejectReason.LIMIT_REACHED);
      assertThat(guard.limiter().inFlight()).as("guard in flight").isZero();
      assertThat(guard.waiters()).as("guard's line").isZero();
      assertThat(H2Pools.active(pool)).as("pool's active connections").isZero();
      assertThat(s.invalidReleases()).as("permits released twice").isZero();
      assertThat(s.admitted()).isEqualTo(s.succeeded() + s.dropped() + s.ignored());
      assertThat(s.dropped()).as("the drops the callers reported").isEqualTo(drops.sum());
      assertThat(s.succeeded()).as("every other connection served closed as a success")
          .isEqualTo(served.sum() - drops.sum());
    }
  }

  /** Checks out in one of the three ways, with a deadline of up to 2 ms where there is one. */
  private static Connection checkout(GuardedDataSource db, SplittableRandom random)
      throws SQLException {
    long timeout = random.nextLong(2_000_000);
    switch (random.nextInt(3)) {
      case 0:
        return db.getConnection(Duration.ofNanos(timeout));
      case 1:
        try (GuardedDataSource.DeadlineScope scope =
                 db.withDeadline(System.nanoTime() + timeout)) {
          assertThat(scope.deadlineNanos()).isNotZero();
          return db.getConnection();
        }
      default:
        return db.getConnection();
    }
  }

  private static void use(Connection c, SplittableRandom random, AtomicInteger out,
      Map<JdbcConnection, Thread> holders, AtomicReference<String> violation,
      LongAdder queryFailed) throws SQLException {
    JdbcConnection physical = c.unwrap(JdbcConnection.class);
    if (holders.putIfAbsent(physical, Thread.currentThread()) != null) {
      violation.compareAndSet(null, "database connection " + physical + " held twice");
    }
    if (out.incrementAndGet() > SIZE) {
      violation.compareAndSet(null, "more than " + SIZE + " connections out");
    }
    try {
      if (random.nextBoolean()) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
          rs.next();
        } catch (SQLException e) {
          queryFailed.increment(); // an interrupt may stop a query; the connection still closes
        }
      }
      for (int spin = random.nextInt(500); spin > 0; spin--) {
        Thread.onSpinWait();
      }
    } finally {
      out.decrementAndGet();
      holders.remove(physical);
    }
  }

  /** Closes once, twice, or through the lease as a drop; returns whether it reported a drop. */
  private static boolean close(Connection c, SplittableRandom random) throws SQLException {
    int how = random.nextInt(20);
    if (how == 0) {
      boolean released = c.unwrap(Lease.class).release(Outcome.DROPPED);
      c.close();
      return released;
    }
    c.close();
    if (how < 4) {
      c.close();
    }
    return false;
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    for (;;) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
