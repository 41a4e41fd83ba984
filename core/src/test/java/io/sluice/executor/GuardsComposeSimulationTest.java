package io.sluice.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.Priority;
import io.sluice.limit.VegasLimit;
import io.sluice.pool.Lease;
import io.sluice.pool.PoolAdapter;
import io.sluice.pool.PoolGuard;
import io.sluice.pool.VirtualCheckouts;
import io.sluice.testing.ManualClock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's two guards together, with their defaults (only the clock is virtual): an
 * {@link AdmissionExecutor} in front of work that checks a connection out through a
 * {@link PoolGuard} sized to the pool. 40 callers send a request every 300 ms, each with a 300 ms
 * deadline, to 4 connections serving 100 ms queries: 12 requests fit per round (three queries per
 * connection), the other 28 cannot be served in time whatever the guards do.
 *
 * <p>Driven in virtual time ({@link VirtualWorld}): the executor's wrapped executor starts one
 * virtual thread per task, which checks out through the guard's real line and hand-off
 * ({@link VirtualCheckouts}), holds the connection for the query, and then ends the task, exactly
 * as a task blocking in {@link PoolGuard#acquireBy(long)} would, without parking a real thread.
 */
@Tag("simulation")
class GuardsComposeSimulationTest {
  private static final long MS = 1_000_000L;
  private static final int CALLERS = 40;
  private static final int CONNECTIONS = 4;
  private static final long QUERY_NANOS = 100 * MS;
  private static final long DEADLINE_NANOS = 300 * MS;
  private static final int ROUNDS = 20;
  /** Requests that fit in one round: each connection serves three 100 ms queries in 300 ms. */
  private static final int FIT = CONNECTIONS * (int) (DEADLINE_NANOS / QUERY_NANOS);

  /**
   * What one run left, per round: requests served in time, the executor's limit at the start, and
   * the pool guard's lowest limit; and the executor's lowest limit after the first round.
   */
  record Run(int[] servedPerRound, int[] limitPerRound, int[] guardMinPerRound, int minLimit,
      long refusedAtSubmission) {}

  /** The README's virtual-thread executor: {@code Limiter.newBuilder().build()}, Vegas defaults. */
  @Test
  void theVirtualThreadExecutorOverAPoolGuardServesWhatFitsAndItsLimitHolds() {
    Run run = simulate(clock -> Limiter.newBuilder().clock(clock).build(), Integer.MAX_VALUE);
    report("virtual threads, Limiter defaults", run);
    assertComposes(run);
  }

  /** The README's thread-pool executor: 32 workers, Vegas from 32 up to 64. */
  @Test
  void theThreadPoolExecutorOverAPoolGuardServesWhatFitsAndItsLimitHolds() {
    Run run = simulate(clock -> Limiter.newBuilder().clock(clock)
        .algorithm(VegasLimit.newBuilder().initialLimit(32).maxLimit(64))
        .build(), 32);
    report("32 workers, Vegas 32..64", run);
    assertComposes(run);
  }

  /**
   * The executor never starves the guard: each round serves what the pool guard's limit lets
   * through in 300 ms (3 queries per permit; all 12 while the guard's limit stays at the pool's
   * size), and the executor's limit never falls below the 12 requests that fit.
   */
  private static void assertComposes(Run run) {
    int fullRounds = 0;
    for (int r = 1; r < ROUNDS; r++) {
      int guardMin = run.guardMinPerRound()[r];
      int served = run.servedPerRound()[r];
      assertThat(served).as("round %d, guard limit at least %d", r, guardMin)
          .isGreaterThanOrEqualTo(3 * guardMin - 1)
          .isLessThanOrEqualTo(FIT);
      if (guardMin == CONNECTIONS) {
        fullRounds++;
        assertThat(served).as("round %d, the guard at the pool's size", r).isEqualTo(FIT);
      }
    }
    assertThat(fullRounds).as("rounds with the guard at the pool's size").isGreaterThan(ROUNDS / 2);
    assertThat(run.minLimit()).as("the executor's lowest limit: never below what fits")
        .isGreaterThanOrEqualTo(FIT);
  }

  private static void report(String name, Run run) {
    System.out.printf("%s: served per round %s (%d fit), executor limit per round %s, lowest %d; "
            + "pool guard's lowest limit per round %s; refused at submission %d%n", name,
        Arrays.toString(run.servedPerRound()), FIT, Arrays.toString(run.limitPerRound()),
        run.minLimit(), Arrays.toString(run.guardMinPerRound()), run.refusedAtSubmission());
  }

  /** A request: its body ends as its checkout did (a refusal is thrown, as acquireBy throws it). */
  static final class Query implements Callable<Void> {
    final int round;
    final long deadlineNanos;
    private final ManualClock clock;
    AdmissionRejectedException refusal;
    long completedNanos = -1;

    Query(int round, long deadlineNanos, ManualClock clock) {
      this.round = round;
      this.deadlineNanos = deadlineNanos;
      this.clock = clock;
    }

    @Override
    public Void call() {
      if (refusal != null) {
        throw refusal;
      }
      completedNanos = clock.nanoTime();
      return null;
    }

    boolean servedInTime() {
      return completedNanos >= 0 && completedNanos <= deadlineNanos;
    }
  }

  private Run simulate(Function<ManualClock, Limiter> executorLimiter, int workers) {
    VirtualWorld world = new VirtualWorld();
    ManualClock clock = world.clock;
    ArrayDeque<Integer> idle = new ArrayDeque<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      idle.add(i);
    }
    PoolGuard<Integer> guard = PoolGuard.newBuilder(new PoolAdapter<Integer>() {
      @Override
      public Integer borrow(long timeoutNanos) {
        return idle.poll(); // the guard admits no more than the pool holds: never empty here
      }

      @Override
      public void giveBack(Integer c) {
        idle.add(c);
      }
    }).maxCheckouts(CONNECTIONS).clock(clock).build();

    Threads threads = new Threads(world, guard, workers);
    AdmissionExecutor executor = AdmissionExecutor.newBuilder(threads)
        .clock(clock)
        .limiter(executorLimiter.apply(clock))
        .build();
    threads.executor = executor;

    List<Query> queries = new ArrayList<>();
    int[] limits = new int[ROUNDS];
    long[] refused = new long[1];
    for (int r = 0; r < ROUNDS; r++) {
      int round = r;
      long start = r * DEADLINE_NANOS;
      world.at(start, () -> {
        limits[round] = executor.limiter().limit();
        for (int c = 0; c < CALLERS; c++) {
          Query q = new Query(round, start + DEADLINE_NANOS, clock);
          queries.add(q);
          try {
            executor.submit(q, TaskOptions.of(Priority.CRITICAL).withDeadline(q.deadlineNanos));
          } catch (AdmissionRejectedException e) {
            refused[0]++;
          }
        }
      });
    }
    int minLimit = Integer.MAX_VALUE;
    int[] guardMin = new int[ROUNDS];
    Arrays.fill(guardMin, Integer.MAX_VALUE);
    for (long t = 0; t <= ROUNDS * DEADLINE_NANOS + 2_000 * MS; t += MS) {
      world.runUntil(t);
      if (t >= DEADLINE_NANOS && t < ROUNDS * DEADLINE_NANOS) {
        minLimit = Math.min(minLimit, executor.limiter().limit());
      }
      if (t < ROUNDS * DEADLINE_NANOS) {
        int r = (int) (t / DEADLINE_NANOS);
        guardMin[r] = Math.min(guardMin[r], guard.limiter().limit());
      }
    }

    assertThat(executor.limiter().inFlight()).as("executor in flight at the end").isZero();
    assertThat(guard.limiter().inFlight()).as("guard in flight at the end").isZero();
    assertThat(guard.waiters()).as("callers in the guard's line at the end").isZero();
    assertThat(idle).as("every connection is back").hasSize(CONNECTIONS);
    assertThat(executor.queued()).isZero();
    int[] served = new int[ROUNDS];
    for (Query q : queries) {
      if (q.servedInTime()) {
        served[q.round]++;
      }
    }
    return new Run(served, limits, guardMin, minLimit, refused[0]);
  }

  /**
   * The executor's wrapped executor: a thread per task (at most {@code workers} at once, the rest
   * waiting in FIFO order, as in a ThreadPoolExecutor). A started task checks a connection out,
   * holds it for the query, closes the lease and ends; a refused checkout ends it at once.
   */
  static final class Threads implements Executor {
    private final VirtualWorld world;
    private final PoolGuard<Integer> guard;
    private final int workers;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private int busy;
    AdmissionExecutor executor;

    Threads(VirtualWorld world, PoolGuard<Integer> guard, int workers) {
      this.world = world;
      this.guard = guard;
      this.workers = workers;
    }

    @Override
    public void execute(Runnable task) {
      if (busy < workers) {
        busy++;
        world.at(world.clock.nanoTime(), () -> start(task));
      } else {
        waiting.addLast(task);
      }
    }

    private void start(Runnable task) {
      Query q = (Query) ((AdmissionTask<?>) task).task;
      ManualClock clock = world.clock;
      VirtualCheckouts.acquireBy(guard, q.deadlineNanos, clock, world::at,
          new VirtualCheckouts.Callback<>() {
            @Override
            public void leased(Lease<Integer> lease) {
              world.at(clock.nanoTime() + QUERY_NANOS, () -> {
                lease.close();
                end(task);
              });
            }

            @Override
            public void refused(AdmissionRejectedException refusal) {
              q.refusal = refusal;
              end(task);
            }
          });
    }

    private void end(Runnable task) {
      task.run(); // the body returns or throws; the executor releases the permit and dispatches
      busy--;
      Runnable next = waiting.pollFirst();
      if (next != null) {
        busy++;
        start(next);
      }
    }
  }
}
