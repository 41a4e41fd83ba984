package io.sluice.executor;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.RejectionListener;
import io.sluice.internal.Args;
import io.sluice.limit.LimitAlgorithm;
import io.sluice.metrics.ExecutorSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

/**
 * An {@link ExecutorService} that admits tasks to an executor you already have (a
 * {@code ThreadPoolExecutor}, a {@code ForkJoinPool}, a virtual-thread-per-task executor) through a
 * {@link Limiter}, holds the excess in a bounded lock-free queue, and sheds what cannot be served in
 * time with an {@link AdmissionRejectedException} that carries the reason and a Retry-After.
 *
 * <pre>{@code
 * AdmissionExecutor executor = AdmissionExecutor.newBuilder(threadPool).limiter(limiter).build();
 * CompletableFuture<Response> f = executor.submit(() -> handle(request), TaskOptions.of(Priority.SHEDDABLE));
 * }</pre>
 *
 * <h2>Admission</h2>
 * A task holds {@link TaskOptions#cost()} units of the limiter from the moment it is handed to the
 * wrapped executor until it returns; the executor asks the limiter with the task's cost (as
 * {@link Priority#CRITICAL}: its own queues serve the levels in order, see Priorities below).
 * When the limiter admits it at once, it goes straight to the wrapped executor. Otherwise it waits
 * in the queue of its priority; when a permit is released, the thread that released it (or the
 * next submitter) dispatches queued tasks, highest priority first.
 *
 * <h2>Queue discipline</h2>
 * Each priority level has its own queue, bounded by {@code queueCapacity} tasks: a lock-free ring
 * that submitters append to, drained in order by whichever thread is dispatching.
 * <ul>
 *   <li><b>CoDel</b> (Nichols and Jacobson; the variant of "Fail at Scale"): a queue is
 *       <em>standing</em> when it has not been empty for {@code interval} (default 100 ms). While it
 *       stands, tasks that have waited longer than {@code target} (default 5 ms) are shed with
 *       {@link RejectReason#QUEUE_TIMEOUT}; while it does not, queued tasks are never timed out.
 *   <li><b>Adaptive LIFO</b>: while a queue stands, it is served newest first (the oldest callers
 *       have likely given up, and CoDel sheds them); otherwise oldest first.
 *   <li><b>Deadlines</b>: a task with a deadline is rejected at submission with
 *       {@link RejectReason#DEADLINE} if now + estimated wait + estimated service time exceeds it,
 *       and shed with the same reason if it is still queued when the deadline passes. The service
 *       estimate is a moving average of dispatch-to-completion times; the wait estimate is
 *       (tasks queued at its level and above + 1) x service estimate / limit. Only completions
 *       refresh the service estimate, so it is trusted only while it is fresh (refreshed within
 *       max(CoDel interval, twice the estimate)): a stale one admits tasks again to be measured,
 *       and an estimate inflated once (a cold start, a stall) cannot refuse every task forever.
 *   <li>Shedding happens whenever a thread dispatches: on every submission, every release and
 *       every {@link #sweep()}. Where admitted tasks can block for long while nothing new is
 *       submitted, call {@code sweep()} from a timer so that queued tasks still leave on time.
 * </ul>
 *
 * <h2>Priorities</h2>
 * <ol>
 *   <li>A free permit goes to the highest non-empty level; a level is served only while every
 *       higher level is empty or blocked by a long-task sub-limit. A task of any level is admitted
 *       at once when a permit is free and nothing of its level or above is waiting, so critical
 *       work is admitted while any capacity remains, and sheddable work uses capacity that no one
 *       else wants.
 *   <li>Queues are separate, so a flood of low-priority work fills and times out only its own queue
 *       and delays higher levels by at most one task completion.
 *   <li>While a level's queue stands (see CoDel), tasks of lower levels are rejected at submission
 *       with {@link RejectReason#PRIORITY_SHED}: they could only wait behind it.
 * </ol>
 *
 * <h2>Long-tail work</h2> A task may declare a cost above 1. With {@link Builder#longTasks(int,
 * double)}, tasks whose cost reaches a threshold form a separate class with its own queues and a
 * sub-limit: together they hold at most a share of the limit, so a few long tasks cannot take every
 * unit and short tasks never queue behind them. Within a class, queued tasks are admitted in order:
 * a big task at the head is not overtaken by smaller ones of its class, so it cannot starve.
 *
 * <p>A task whose cost exceeds the limit in force (but not the limiter's maximum) holds the whole
 * limit instead: it is admitted once nothing else holds a unit, and then runs alone. It is neither
 * refused nor left waiting for a limit that cannot grow while nothing runs, and the tasks behind it
 * wait at most for the work running before it and for itself. A cost above the limiter's maximum is
 * refused at submission with an {@link IllegalArgumentException}.
 *
 * <h2>Completion</h2>
 * A task that returns releases its permit as {@code SUCCESS}; one that throws, as decided by the
 * {@link FailureClassifier} (by default {@code DROPPED} for timeouts and downstream refusals,
 * {@code IGNORED} otherwise). Cancelling a future releases the permit at once if the task has not
 * started; a running task releases it when it returns ({@code cancel(true)} interrupts it).
 *
 * <p>An exception or error thrown by a task given to {@code execute} has no future to go to: it is
 * reported to the {@link Thread.UncaughtExceptionHandler} of the thread that ran the task, which
 * then goes on serving the wrapped executor (a {@code ThreadPoolExecutor} would let it end the
 * thread; here the task's permit is released and the thread lives on). Tasks given to
 * {@code submit} report through their futures only.
 *
 * <h2>Rejection</h2>
 * {@code submit} and {@code execute} throw {@link AdmissionRejectedException} when the task is
 * refused at once: {@code QUEUE_FULL}, {@code DEADLINE}, {@code PRIORITY_SHED}, {@code SHUTDOWN},
 * or, when the queue capacity is zero, the limiter's own refusal ({@code LIMIT_REACHED}, or
 * {@code PRIORITY_SHED} from a limiter shared with callers of a higher priority). A task accepted
 * and shed later has its
 * future completed exceptionally with the exception (and the {@link ShedListener} told); nothing
 * waits forever for a shed task: a {@code Future} given to {@code execute} (a {@code FutureTask},
 * or the wrapper of an {@code ExecutorCompletionService}) is cancelled when it
 * is shed, and the task a completion service wraps fails with the rejection. The Retry-After is
 * the limiter's estimate for a request that would wait behind the tasks queued at its level and
 * above (the limiter's turnover time times {@code 1 + queued / limit}), times a jitter factor in
 * {@code [1, 1 + jitter)} drawn once, and within the limiter's Retry-After range, jitter
 * included; the limiter's own refusal carries the limiter's own hint, and {@code SHUTDOWN} zero
 * (this executor will not take work again). See the concepts page, "Rejection and Retry-After".
 *
 * <h2>Shutdown</h2>
 * After {@link #shutdown()}, new tasks are rejected with {@code SHUTDOWN} and queued tasks still
 * run (or are shed by the rules above). {@link #shutdownNow()} returns the tasks still queued, as
 * they were submitted, and completes their futures exceptionally with {@code SHUTDOWN}; it does not
 * interrupt running tasks. The wrapped executor is never shut down: it belongs to you. Every task
 * accepted by submit or execute either runs, or is shed with its future completed exceptionally,
 * or is returned by {@code shutdownNow}. (A submission that races {@code shutdownNow} is either
 * rejected with {@code SHUTDOWN}, returned, or shed with {@code SHUTDOWN} if it reached the queue
 * after the returned list was taken.)
 *
 * <h2>Metrics</h2> {@link #snapshot()} reads the tasks admitted, refused at submission and shed
 * later (by reason and priority), completed (by outcome and priority), queued, and their waits from
 * submission to admission; {@link Builder#rejectionListener} reports each refused or shed task as
 * it happens. Counting takes atomic adds on the submitting, dispatching and completing threads and
 * never blocks.
 *
 * <h2>Thread-safety contract</h2>
 * All methods may be called from any thread, including from tasks. Submission never blocks and
 * takes no lock: it is lock-free apart from the ring's documented window (see the package
 * {@code io.sluice.queue}). Dispatching is done by one thread at a time, the one that wins a
 * counter increment; others leave a signal and return, and the dispatcher repeats until no signal
 * is left, so a task queued as the last permit is released still runs. Submitting a task
 * happens-before it runs; a task's completion happens-before its future's dependents see the
 * result. No monitor is ever held, so virtual threads never pin; {@link #awaitTermination} parks
 * on a latch. {@link #shutdownNow()} waits for the dispatch pass in progress, if any, to end.
 *
 * <p>A dispatching thread works for others, so it throws nothing of theirs: an exception of a
 * {@link io.sluice.LimitListener} from a release made while dispatching (a task refused by the
 * wrapped executor, or cancelled as it was dispatched) is reported to that thread's
 * {@link Thread.UncaughtExceptionHandler} and the pass goes on; {@code submit} never throws it for
 * a task it accepted, and {@code cancel} reports it too. A listener's exception from the release
 * after a task ran still propagates to the thread that ran it, as the listener's contract says.
 */
public interface AdmissionExecutor extends ExecutorService {

  /** Returns a builder that wraps {@code delegate}, with the defaults documented on the builder. */
  static Builder newBuilder(Executor delegate) {
    return new Builder(delegate);
  }

  /**
   * Submits a task with the given options; returns its future.
   *
   * @throws AdmissionRejectedException if the task is refused at once
   * @throws NullPointerException if the task is null, as {@code ExecutorService} specifies
   * @throws IllegalArgumentException if the options are null, or the cost exceeds the
   *     limiter's maximum
   */
  <T> CompletableFuture<T> submit(Callable<T> task, TaskOptions options);

  /**
   * Runs a task with the given options; a later shed is reported to the {@link ShedListener}, and
   * an exception it throws to the running thread's {@code UncaughtExceptionHandler}.
   *
   * @throws AdmissionRejectedException if the task is refused at once
   * @throws NullPointerException if the task is null, as {@code ExecutorService} specifies
   * @throws IllegalArgumentException if the options are null, or the cost exceeds the
   *     limiter's maximum
   */
  void execute(Runnable task, TaskOptions options);

  /** Submits a task with {@link TaskOptions#defaults()}. */
  @Override
  <T> CompletableFuture<T> submit(Callable<T> task);

  /** Submits a task with {@link TaskOptions#defaults()}; its future completes with null. */
  @Override
  CompletableFuture<?> submit(Runnable task);

  /** Submits a task with {@link TaskOptions#defaults()}; its future completes with {@code result}. */
  @Override
  <T> CompletableFuture<T> submit(Runnable task, T result);

  /**
   * Returns the tasks still queued, as submitted (a {@code Callable} is wrapped in a
   * {@code Runnable} that calls it), after completing their futures with a {@code SHUTDOWN}
   * rejection.
   */
  @Override
  List<Runnable> shutdownNow();

  /**
   * Applies the queue rules now: sheds queued tasks that are cancelled, past their deadline or
   * (while their queue stands) older than the CoDel target, and dispatches queued tasks while the
   * limiter admits them. The executor does this on every submission and every permit release, so
   * most servers never call it. It is for the case where neither happens for a while (every
   * admitted task blocked on a hung downstream, no new work arriving): without a sweep, a queued
   * task would then outlive its deadline until the next event. A timer fixes that:
   *
   * <pre>{@code
   * scheduler.scheduleAtFixedRate(executor::sweep, 20, 20, TimeUnit.MILLISECONDS);
   * }</pre>
   *
   * <p>Any thread may call it at any time, also after shutdown. It never blocks: if another thread
   * is dispatching, it leaves that thread a signal to run one more pass, and returns.
   */
  void sweep();

  /** Returns the limiter that admits this executor's tasks. */
  Limiter limiter();

  /** Returns how many tasks wait in the queues (a snapshot; cancelled tasks count until removed). */
  int queued();

  /** Returns how many tasks of {@code priority} wait in the queues. */
  int queued(Priority priority);

  /**
   * Returns what the executor is doing with tasks now and has done since it was built (see
   * {@link ExecutorSnapshot}); from any thread, without blocking; allocates. Its limiter's
   * snapshot is {@code limiter().snapshot()}. A decorator must forward this method.
   */
  ExecutorSnapshot snapshot();

  /**
   * Configures and builds an {@link AdmissionExecutor}. Every setter checks its argument at once
   * and throws an {@link IllegalArgumentException} naming the parameter, the value and the allowed
   * range.
   *
   * <table>
   *   <caption>Defaults</caption>
   *   <tr><th>setting</th><th>default</th></tr>
   *   <tr><td>{@link #limiter}</td><td>{@code Limiter.newBuilder().clock(clock).build()}</td></tr>
   *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td></tr>
   *   <tr><td>{@link #queueCapacity}</td><td>1024 tasks per priority level (and class)</td></tr>
   *   <tr><td>{@link #codel}</td><td>target 5 ms, interval 100 ms</td></tr>
   *   <tr><td>{@link #adaptiveLifo}</td><td>on</td></tr>
   *   <tr><td>{@link #longTasks}</td><td>off: one class</td></tr>
   *   <tr><td>{@link #failureClassifier}</td><td>{@link FailureClassifier#defaultRule()}</td></tr>
   *   <tr><td>{@link #shedListener}, {@link #rejectionListener}</td><td>none</td></tr>
   *   <tr><td>{@link #retryAfterJitter}</td><td>0.5</td></tr>
   * </table>
   *
   * <p>Not thread-safe; build on one thread, then share the executor.
   */
  final class Builder {
    /** The largest queue capacity per level. */
    public static final int MAX_QUEUE_CAPACITY = 1 << 20;

    private static final Duration MIN_CODEL = Duration.ofNanos(1_000);
    private static final Duration MAX_CODEL = Duration.ofHours(1);

    final Executor delegate;
    Limiter limiter;
    NanoClock clock = NanoClock.system();
    int queueCapacity = 1024;
    long codelTargetNanos = Duration.ofMillis(5).toNanos();
    long codelIntervalNanos = Duration.ofMillis(100).toNanos();
    boolean adaptiveLifo = true;
    int longTaskMinCost = Integer.MAX_VALUE;
    double longTaskMaxShare = 1.0;
    FailureClassifier classifier = FailureClassifier.defaultRule();
    ShedListener shedListener;
    RejectionListener rejectionListener;
    double retryAfterJitter = 0.5;

    Builder(Executor delegate) {
      this.delegate = Args.notNull("delegate", delegate);
    }

    /**
     * Sets the limiter that admits tasks. Give the executor its own limiter, built on the same
     * clock as {@link #clock}, and do not acquire from it elsewhere unless you mean to share the
     * limit.
     */
    public Builder limiter(Limiter limiter) {
      this.limiter = Args.notNull("limiter", limiter);
      return this;
    }

    /**
     * Sets the clock of sojourn times, deadlines and estimates; tests pass sluice-testing's
     * {@code ManualClock}.
     */
    public Builder clock(NanoClock clock) {
      this.clock = Args.notNull("clock", clock);
      return this;
    }

    /**
     * Sets how many tasks may wait per priority level (and per class, with {@link #longTasks});
     * zero disables queueing: a task that the limiter refuses is rejected with
     * {@code LIMIT_REACHED} at once.
     *
     * @param capacity in [0, {@link #MAX_QUEUE_CAPACITY}]
     */
    public Builder queueCapacity(int capacity) {
      this.queueCapacity = Args.inRange("queueCapacity", capacity, 0, MAX_QUEUE_CAPACITY);
      return this;
    }

    /**
     * Sets the CoDel parameters: while a queue has not been empty for {@code interval}, tasks that
     * have waited longer than {@code target} are shed.
     *
     * @param target in [1 us, 1 h]
     * @param interval in [target, 1 h]
     */
    public Builder codel(Duration target, Duration interval) {
      long targetNanos = Args.nanosInRange("codel target", target, MIN_CODEL, MAX_CODEL);
      long intervalNanos = Args.nanosInRange("codel interval", interval, target, MAX_CODEL);
      this.codelTargetNanos = targetNanos;
      this.codelIntervalNanos = intervalNanos;
      return this;
    }

    /** Sets whether a standing queue is served newest first; default on. */
    public Builder adaptiveLifo(boolean enabled) {
      this.adaptiveLifo = enabled;
      return this;
    }

    /**
     * Separates long tasks: those with cost at least {@code minCost} wait in their own queues and
     * together hold at most {@code floor(maxShare * limit)} units (at least one task at a time), so
     * they can neither take every unit nor block short tasks at the head of a queue.
     *
     * @param minCost in [2, {@link LimitAlgorithm#MAX_SUPPORTED_LIMIT}]
     * @param maxShare in (0, 1]
     */
    public Builder longTasks(int minCost, double maxShare) {
      this.longTaskMinCost =
          Args.inRange("longTasks minCost", minCost, 2, LimitAlgorithm.MAX_SUPPORTED_LIMIT);
      this.longTaskMaxShare = Args.inOpenClosed("longTasks maxShare", maxShare, 0.0, 1.0);
      return this;
    }

    /** Sets the rule that maps a task's exception to the outcome its permit is released with. */
    public Builder failureClassifier(FailureClassifier classifier) {
      this.classifier = Args.notNull("failureClassifier", classifier);
      return this;
    }

    /** Sets the listener told of every accepted task that is later shed. */
    public Builder shedListener(ShedListener listener) {
      this.shedListener = Args.notNull("shedListener", listener);
      return this;
    }

    /**
     * Sets the listener told of every task refused at submission or shed later, once per task, with
     * the task's priority (see {@link RejectionListener}).
     */
    public Builder rejectionListener(RejectionListener listener) {
      this.rejectionListener = Args.notNull("rejectionListener", listener);
      return this;
    }

    /**
     * Sets the jitter of the Retry-After of the executor's own rejections: the estimate times a
     * uniform factor in {@code [1, 1 + jitter)}.
     *
     * @param jitter in [0, 1]
     */
    public Builder retryAfterJitter(double jitter) {
      this.retryAfterJitter = Args.inRange("retryAfterJitter", jitter, 0.0, 1.0);
      return this;
    }

    /** Builds the executor. */
    public AdmissionExecutor build() {
      Limiter chosen = limiter != null ? limiter : Limiter.newBuilder().clock(clock).build();
      return new QueueingAdmissionExecutor(this, chosen);
    }
  }
}
