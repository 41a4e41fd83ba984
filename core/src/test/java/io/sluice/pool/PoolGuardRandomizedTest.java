package io.sluice.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Outcome;
import io.sluice.Workers;
import io.sluice.limit.AimdLimit;
import io.sluice.metrics.PoolGuardSnapshot;
import io.sluice.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, "Also": many threads mix every public operation of two pool guards at random,
 * misuse included (second closes, closing another thread's lease, deadlines already past,
 * acquiring while interrupted), with a limit listener that throws on every third window and
 * rejection listeners that always throw, on a manual clock that the threads move across the
 * {@code nanoTime} wrap. After every step: no resource is held twice, no more are out than the
 * pool's size, the limiter's in-flight count stays within its maximum, and no lease closed by this
 * step is still unreleased; at the end every resource is back and both guards are empty. The seed
 * is printed; rerun one with {@code -Dsluice.seed=N}.
 */
@Tag("stress")
@Timeout(90)
class PoolGuardRandomizedTest {
  private static final int SIZE = 4;
  private static final int THREADS = 8;
  private static final int STEPS = 5_000;
  private static final long MS = 1_000_000L;

  /** A pooled resource that notices two holders. */
  static final class Resource {
    final String name;
    final AtomicReference<Thread> holder = new AtomicReference<>();

    Resource(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** One guard under test, its pool, and what the test knows about it. */
  static final class Subject {
    final SimpleBoundedPool<Resource> pool;
    final PoolGuard<Resource> guard;
    final AtomicInteger out = new AtomicInteger();
    final ConcurrentLinkedQueue<Lease<Resource>> shared = new ConcurrentLinkedQueue<>();

    Subject(String name, ManualClock clock, AtomicLong windows) {
      this.pool = new SimpleBoundedPool<>(SIZE, i -> new Resource(name + i));
      Limiter limiter = Limiter.newBuilder().clock(clock)
          .algorithm(AimdLimit.newBuilder().initialLimit(SIZE).maxLimit(SIZE))
          .window(Duration.ofMillis(1), Duration.ofMillis(5), 1)
          .listener((window, limit) -> {
            if (windows.incrementAndGet() % 3 == 0) {
              throw new ListenerFailure("limit listener");
            }
          })
          .rejectionListener((reason, priority, retryAfter) -> {
            throw new ListenerFailure("limiter rejection listener");
          })
          .build();
      this.guard = PoolGuard.newBuilder(pool.adapter()).clock(clock).limiter(limiter)
          .maxWait(Duration.ofMillis(3))
          .rejectionListener((reason, priority, retryAfter) -> {
            throw new ListenerFailure("guard rejection listener");
          })
          .build();
    }
  }

  /** What the test's listeners throw. */
  static final class ListenerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ListenerFailure(String message) {
      super(message, null, false, false);
    }
  }

  private final LongAdder listenerFailures = new LongAdder();

  @Test
  void everyOperationMixedAtRandomKeepsTheInvariants() throws InterruptedException {
    long seed = Long.getLong("sluice.seed", System.nanoTime());
    System.out.println("PoolGuardRandomizedTest seed " + seed);
    ManualClock clock = new ManualClock(Long.MAX_VALUE - 40 * MS); // wraps within the run
    AtomicLong windows = new AtomicLong();
    Subject[] subjects = {new Subject("a", clock, windows), new Subject("b", clock, windows)};
    AtomicReference<String> violation = new AtomicReference<>();
    LongAdder leases = new LongAdder();
    LongAdder refusals = new LongAdder();
    LongAdder interrupts = new LongAdder();

    // Workers move the clock too, but all of them may be waiting in line at once: a ticker keeps
    // virtual time going so that their deadlines pass (a waiter looks at the clock again at least
    // once per its remaining wait).
    AtomicReference<Boolean> running = new AtomicReference<>(true);
    Thread ticker = new Thread(() -> {
      SplittableRandom random = new SplittableRandom(seed - 1);
      while (running.get()) {
        clock.advanceNanos(random.nextLong(MS / 10));
        Thread.yield();
      }
    }, "ticker");
    ticker.start();
    Workers.run(THREADS, worker -> {
      SplittableRandom random = new SplittableRandom(seed + worker);
      List<Lease<Resource>> mine = new ArrayList<>();
      List<Subject> mineOf = new ArrayList<>();
      for (int step = 0; step < STEPS && violation.get() == null; step++) {
        Subject s = subjects[random.nextInt(subjects.length)];
        int op = random.nextInt(100);
        try {
          if (op < 30 && mine.size() < 2) {
            Lease<Resource> lease = op < 3
                ? s.guard.acquireBy(clock.nanoTime() - random.nextLong(MS))
                : s.guard.acquire(Duration.ofNanos(random.nextLong(4 * MS)));
            take(s, lease, violation);
            mine.add(lease);
            mineOf.add(s);
            leases.increment();
          } else if (op < 55 && !mine.isEmpty()) {
            int i = random.nextInt(mine.size());
            Lease<Resource> lease = mine.remove(i);
            Subject owner = mineOf.remove(i);
            if (random.nextInt(4) == 0) {
              owner.shared.add(lease); // another thread will close it
            } else {
              close(owner, lease, random, violation);
            }
          } else if (op < 65) {
            Lease<Resource> foreign = s.shared.poll();
            if (foreign != null) {
              close(s, foreign, random, violation);
            }
          } else if (op < 80) {
            clock.advanceNanos(random.nextLong(MS));
          } else if (op < 85) {
            Thread.currentThread().interrupt();
            try {
              Lease<Resource> lease = s.guard.acquire(Duration.ofMillis(1));
              take(s, lease, violation);
              mine.add(lease);
              mineOf.add(s);
            } finally {
              Thread.interrupted();
            }
          } else {
            PoolGuardSnapshot snapshot = s.guard.snapshot();
            if (snapshot.waiting() < 0 || s.guard.waiters() < 0 || snapshot.refused() < 0) {
              violation.compareAndSet(null, "negative count: " + snapshot);
            }
            if (s.guard.toString().isEmpty()) {
              violation.compareAndSet(null, "no toString");
            }
          }
        } catch (AdmissionRejectedException e) {
          refusals.increment();
        } catch (InterruptedException e) {
          interrupts.increment();
        } catch (ListenerFailure e) {
          listenerFailures.increment();
        }
        for (Subject each : subjects) {
          check(each, violation);
        }
      }
      for (int i = 0; i < mine.size(); i++) {
        close(mineOf.get(i), mine.get(i), random, violation);
      }
    });
    running.set(false);
    ticker.join();
    for (Subject s : subjects) {
      for (Lease<Resource> lease = s.shared.poll(); lease != null; lease = s.shared.poll()) {
        close(s, lease, new SplittableRandom(seed), violation);
      }
    }

    System.out.printf("leases %d, refusals %d, interrupted %d, listener failures %d, windows %d%n",
        leases.sum(), refusals.sum(), interrupts.sum(), listenerFailures.sum(), windows.get());
    assertThat(violation.get()).isNull();
    assertThat(leases.sum()).isPositive();
    assertThat(listenerFailures.sum()).as("the listeners did throw").isPositive();
    for (Subject s : subjects) {
      assertThat(s.pool.idle()).as("every resource is back").isEqualTo(SIZE);
      assertThat(s.out).hasValue(0);
      assertThat(s.guard.limiter().inFlight()).isZero();
      assertThat(s.guard.waiters()).isZero();
      assertThat(s.guard.limiter().snapshot().invalidReleases()).isZero();
    }
  }

  private static void take(Subject s, Lease<Resource> lease, AtomicReference<String> violation) {
    if (!lease.resource().holder.compareAndSet(null, Thread.currentThread())) {
      violation.compareAndSet(null, lease.resource() + " handed to two callers");
    }
    if (s.out.incrementAndGet() > SIZE) {
      violation.compareAndSet(null, "more than " + SIZE + " resources out");
    }
  }

  /** Closes a lease one of five ways, then misuses it with a second close. */
  private void close(Subject s, Lease<Resource> lease, SplittableRandom random,
      AtomicReference<String> violation) {
    lease.resource().holder.set(null);
    s.out.decrementAndGet();
    boolean first;
    try {
      switch (random.nextInt(5)) {
        case 0 -> {
          lease.close();
          first = true;
        }
        case 1 -> first = lease.release(Outcome.DROPPED);
        case 2 -> first = lease.release(Outcome.IGNORED);
        case 3 -> first = lease.discard(Outcome.SUCCESS);
        default -> first = lease.discard(Outcome.DROPPED);
      }
      if (!first) {
        violation.compareAndSet(null, "the first close of " + lease + " did not release it");
      }
    } catch (ListenerFailure e) {
      // Documented: the listener's exception propagates; the lease is released regardless.
      listenerFailures.increment();
    }
    if (!lease.isReleased()) {
      violation.compareAndSet(null, lease + " not released after its close");
    }
    try {
      if (lease.release(Outcome.SUCCESS) || lease.discard(Outcome.DROPPED)) {
        violation.compareAndSet(null, "a second close of " + lease + " released it again");
      }
    } catch (ListenerFailure e) {
      violation.compareAndSet(null, "a second close reached the limiter: " + e);
    }
  }

  private static void check(Subject s, AtomicReference<String> violation) {
    int inFlight = s.guard.limiter().inFlight();
    if (inFlight < 0 || inFlight > SIZE) {
      violation.compareAndSet(null, "in flight " + inFlight + " outside [0, " + SIZE + "]");
    }
    int limit = s.guard.limiter().limit();
    if (limit < 1 || limit > SIZE) {
      violation.compareAndSet(null, "limit " + limit + " outside [1, " + SIZE + "]");
    }
    int waiters = s.guard.waiters();
    if (waiters < 0 || waiters > THREADS) {
      violation.compareAndSet(null, "waiters " + waiters + " outside [0, " + THREADS + "]");
    }
  }
}
