package io.sluice.executor;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.Ticket;
import io.sluice.internal.Args;
import io.sluice.metrics.ExecutorSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/*
 * The AdmissionExecutor: a limiter in front of a wrapped executor, per-level queues behind it, and
 * one dispatcher at a time that moves queued tasks to the wrapped executor as permits free up.
 * This class holds submission (the checks a task passes to be admitted at once or queued),
 * admission (asking the limiter and the long-task sub-limit for a task's units) and the hand-over
 * to the wrapped executor; the rules it applies live in classes named after them:
 * QueueDiscipline (strict priority, CoDel, adaptive LIFO), DispatchLoop (the drain loop and its
 * passes over the queues), TaskRejections (refusals, sheds and their Retry-After),
 * ServiceTimeEstimates (the service and wait estimates of the deadline checks), LongTaskShare (the
 * long-task sub-limit), ExecutorLifecycle (shutdown, shutdownNow, termination) and
 * ExecutorCounters (the snapshot's counts), each a final field whose methods are small enough for
 * the JIT to inline; invokeAll and invokeAny (Invocations) wait on the executor's own tasks, off
 * the submission path.
 */
final class QueueingAdmissionExecutor extends AbstractExecutorService
    implements AdmissionExecutor {
  /** A refusal by the long-task sub-limit; never a valid rejection ticket (reason bits 31). */
  static final long SUB_LIMITED = Long.MIN_VALUE;
  private static final int LEVELS = Priority.LEVELS;

  private final Executor delegate;
  private final Limiter limiter;
  private final NanoClock clock;
  private final QueueDiscipline queues;
  private final ServiceTimeEstimates service;
  private final int longTaskMinCost;
  private final LongTaskShare longTasks;
  private final FailureClassifier classifier;
  private final ExecutorCounters counters = new ExecutorCounters();
  private final ExecutorLifecycle lifecycle = new ExecutorLifecycle();
  private final TaskRejections rejections;
  private final DispatchLoop loop;
  /** The task newTaskFor made last on each thread, until the execute() that follows it. */
  private final ThreadLocal<AdmissionTask<?>> lastTaskFor = new ThreadLocal<>();

  QueueingAdmissionExecutor(AdmissionExecutor.Builder b, Limiter limiter) {
    this.delegate = b.delegate;
    this.limiter = limiter;
    this.clock = b.clock;
    this.longTaskMinCost = b.longTaskMinCost;
    this.longTasks = new LongTaskShare(b.longTaskMaxShare);
    this.service = new ServiceTimeEstimates(b.codelIntervalNanos);
    this.classifier = b.classifier;
    // The clock is read only if there are queues: the reading their first empty spell starts at.
    this.queues = new QueueDiscipline(b.queueCapacity, longTaskMinCost != Integer.MAX_VALUE,
        b.codelTargetNanos, b.codelIntervalNanos, b.adaptiveLifo,
        b.queueCapacity > 0 ? clock.nanoTime() : 0L);
    this.rejections = new TaskRejections(limiter, queues, counters, lifecycle,
        b.rejectionListener, b.shedListener, b.retryAfterJitter);
    this.loop = new DispatchLoop(this, queues, lifecycle, rejections, clock);
  }

  // ---------------------------------------------------------------- submission

  /** A null task is a NullPointerException, as ExecutorService specifies. */
  private static <T> T requireTask(T task) {
    if (task == null) {
      throw new NullPointerException("task must not be null");
    }
    return task;
  }

  @Override
  public <T> CompletableFuture<T> submit(Callable<T> task, TaskOptions options) {
    AdmissionTask<T> t = newTask(requireTask(task), options);
    accept(t);
    return t;
  }

  @Override
  public void execute(Runnable task, TaskOptions options) {
    AdmissionTask<Object> t = newTask(requireTask(task), null, options);
    t.reportsFailure = true;
    if (task instanceof Future<?>) {
      t.wrapped = takeTaskFor();
    }
    accept(t);
  }

  @Override
  public <T> CompletableFuture<T> submit(Callable<T> task) {
    return submit(task, TaskOptions.defaults());
  }

  @Override
  public CompletableFuture<?> submit(Runnable task) {
    return submit(task, null);
  }

  @Override
  public <T> CompletableFuture<T> submit(Runnable task, T result) {
    AdmissionTask<T> t = newTask(requireTask(task), result, TaskOptions.defaults());
    accept(t);
    return t;
  }

  @Override
  public void execute(Runnable command) {
    if (command instanceof AdmissionTask<?> && ((AdmissionTask<?>) command).owner == this) {
      takeTaskFor();
      accept((AdmissionTask<?>) command);
    } else {
      execute(command, TaskOptions.defaults());
    }
  }

  // ---------------------------------------------------------------- invokeAll, invokeAny

  // invokeAll and invokeAny accept the executor's own tasks; see Invocations.

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks)
      throws InterruptedException {
    return Invocations.invokeAll(this, tasks, false, 0L);
  }

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout,
      TimeUnit unit) throws InterruptedException {
    return Invocations.invokeAll(this, tasks, true, unit.toNanos(timeout));
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
      throws InterruptedException, ExecutionException {
    try {
      return Invocations.invokeAny(this, tasks, false, 0L);
    } catch (TimeoutException cannotHappen) {
      throw new AssertionError(cannotHappen);
    }
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    return Invocations.invokeAny(this, tasks, true, unit.toNanos(timeout));
  }

  /** Makes every task before accepting any, so that a null task refuses the whole call. */
  <T> List<AdmissionTask<T>> newTasks(Collection<? extends Callable<T>> tasks) {
    List<AdmissionTask<T>> made = new ArrayList<>(tasks.size());
    for (Callable<T> task : tasks) {
      made.add(newTask(requireTask(task), TaskOptions.defaults()));
    }
    return made;
  }

  /**
   * ExecutorCompletionService wraps a task of ours, made here, in a FutureTask of its own and
   * executes that at once on the same thread; the wrapper is cancelled if shed, and the task
   * remembered here, which its completion queue hands out, is failed first (see takeTaskFor).
   * invokeAll and invokeAny do not come here: they accept the executor's own tasks.
   */
  @Override
  protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
    return rememberTaskFor(newTask(callable, TaskOptions.defaults()));
  }

  @Override
  protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
    return rememberTaskFor(newTask(runnable, value, TaskOptions.defaults()));
  }

  private <T> AdmissionTask<T> rememberTaskFor(AdmissionTask<T> task) {
    lastTaskFor.set(task);
    return task;
  }

  /** Returns and forgets the task newTaskFor last made on this thread, if it was never run. */
  private AdmissionTask<?> takeTaskFor() {
    AdmissionTask<?> task = lastTaskFor.get();
    if (task == null) {
      return null;
    }
    lastTaskFor.remove();
    return task.state() == AdmissionTask.NEW ? task : null;
  }

  private <T> AdmissionTask<T> newTask(Callable<T> task, TaskOptions options) {
    Args.notNull("options", options);
    return new AdmissionTask<>(this, task, options, options.cost() >= longTaskMinCost);
  }

  private <T> AdmissionTask<T> newTask(Runnable task, T result, TaskOptions options) {
    Args.notNull("options", options);
    return new AdmissionTask<>(this, task, result, options, options.cost() >= longTaskMinCost);
  }

  void accept(AdmissionTask<?> task) {
    if (!task.transition(AdmissionTask.NEW, AdmissionTask.QUEUED)) {
      throw new IllegalArgumentException("task was already submitted or cancelled: " + task);
    }
    if (!lifecycle.enter()) {
      AdmissionRejectedException e =
          rejections.rejection(RejectReason.SHUTDOWN, task, 0L, false);
      task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE);
      task.completeExceptionally(e);
      rejections.notifyRejected(RejectReason.SHUTDOWN, task, 0L);
      throw e;
    }
    long now = clock.nanoTime();
    task.enqueuedNanos = now;
    task.deadlineNanos = task.options.deadlineFor(now);
    int level = task.options.priority().ordinal();
    long service = this.service.trusted(task.longTask, now);
    if (task.options.cost() > limiter.limit()) {
      checkCost(task);
    }
    boolean timed = task.options.hasDeadline();
    long remaining = task.deadlineNanos - now; // by difference: deadlines may lie past the wrap
    if (timed && (remaining <= 0 || remaining < service)) {
      throw rejections.refuse(task, RejectReason.DEADLINE);
    }
    if (queues.higherLevelStanding(level, now)) {
      throw rejections.refuse(task, RejectReason.PRIORITY_SHED);
    }
    TaskQueue queue = queues.queueFor(level, task.longTask);
    if (queues.queuedUpTo(level) == 0) {
      long ticket;
      try {
        ticket = tryAdmit(task);
      } catch (IllegalArgumentException e) {
        if (task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
          lifecycle.leave();
        }
        throw e;
      }
      if (Ticket.isPermit(ticket)) {
        dispatch(task, ticket, now);
        return;
      }
      if (queue == null) {
        // The limiter's own reason: a shared limiter may shed this priority (PRIORITY_SHED).
        if (ticket == SUB_LIMITED) {
          throw rejections.refuse(task, RejectReason.LIMIT_REACHED);
        }
        throw rejections.refuse(task, Ticket.reason(ticket), Ticket.retryAfterNanos(ticket));
      }
    }
    if (timed
        && remaining < ServiceTimeEstimates.saturatedAdd(service, waitEstimate(level, service))) {
      throw rejections.refuse(task, RejectReason.DEADLINE);
    }
    if (!queue.offer(task, now)) {
      throw rejections.refuse(task, RejectReason.QUEUE_FULL);
    }
    loop.drain();
    if (lifecycle.stopping() && task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
      // shutdownNow() collected the queues before this task reached them.
      AdmissionRejectedException e =
          rejections.rejection(RejectReason.SHUTDOWN, task, 0L, false);
      task.completeExceptionally(e);
      try {
        rejections.notifyRejected(RejectReason.SHUTDOWN, task, 0L);
      } finally {
        lifecycle.leave();
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- admission

  /**
   * Asks the limiter once for a task heavier than the current limit, so that a cost above the
   * limiter's maximum is refused at submission with its IllegalArgumentException; below that
   * maximum, tryAdmit admits such a task with the whole limit.
   */
  private void checkCost(AdmissionTask<?> task) {
    long ticket;
    try {
      ticket = limiter.tryAcquire(task.options.cost());
    } catch (RuntimeException e) {
      if (task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
        lifecycle.leave();
      }
      throw e;
    }
    if (Ticket.isPermit(ticket)) {
      releaseReporting(ticket); // the limit grew since we looked; the task takes its turn below
    }
  }

  /**
   * Returns a permit, the limiter's rejection ticket, or SUB_LIMITED. A task whose cost exceeds
   * the limit in force asks for the whole limit instead: it waits until nothing else holds a unit
   * and then runs alone, rather than wait for a limit that cannot grow while nothing runs.
   */
  long tryAdmit(AdmissionTask<?> task) {
    int cost = task.options.cost();
    int units = cost == 1 ? 1 : Math.min(cost, Math.max(1, limiter.limit()));
    if (task.longTask && !longTasks.tryReserve(units, limiter.limit())) {
      return SUB_LIMITED;
    }
    task.units = units;
    long ticket;
    try {
      // Not the task's priority: the queues already serve higher levels first, and the limiter's
      // shares would idle room kept for levels that are queued anyway (and starve lower levels
      // whose share rounds down to nothing at a small limit).
      ticket = limiter.tryAcquire(units);
    } catch (IllegalArgumentException e) {
      returnLongUnits(task);
      throw e;
    }
    if (Ticket.isRejection(ticket)) {
      returnLongUnits(task);
    }
    return ticket;
  }

  private void returnLongUnits(AdmissionTask<?> task) {
    if (task.longTask) {
      longTasks.release(task.units);
    }
  }

  /** Hands an admitted task to the wrapped executor. */
  void dispatch(AdmissionTask<?> task, long permit, long now) {
    task.permit = permit;
    task.dispatchedNanos = now;
    if (!task.transition(AdmissionTask.QUEUED, AdmissionTask.ADMITTED)) {
      returnLongUnits(task);
      releaseReporting(permit); // cancelled since we looked; its canceller settled it
      return;
    }
    counters.admitted(task.options.priority().ordinal(), now - task.enqueuedNanos);
    try {
      delegate.execute(task);
    } catch (RuntimeException refused) {
      if (task.transition(AdmissionTask.ADMITTED, AdmissionTask.DONE)) {
        try {
          complete(task, Outcome.DROPPED);
        } catch (RuntimeException listenerFailed) {
          Uncaught.report(listenerFailed);
        }
        rejections.shed(task, RejectReason.QUEUE_FULL,
            rejections.retryAfter(task.options.priority().ordinal()), refused);
      } else if (!task.isCancelled()) {
        // Not a refusal: the task ran (inline, for a caller-runs executor) and its release threw
        // (a limit listener). A cancelled task was settled by its canceller: nothing to report.
        Uncaught.report(refused);
      }
    }
  }

  /**
   * Releases a permit as IGNORED on a dispatching thread. A limit listener's exception is
   * reported to the thread's handler: the thread is dispatching for others, who must neither
   * lose the rest of the pass nor receive an exception for a task that was accepted.
   */
  private void releaseReporting(long permit) {
    try {
      limiter.release(permit, Outcome.IGNORED);
    } catch (RuntimeException listenerFailed) {
      Uncaught.report(listenerFailed);
    }
  }

  private void releaseUnits(AdmissionTask<?> task, Outcome outcome) {
    returnLongUnits(task);
    limiter.release(task.permit, outcome);
  }

  /** Releases an admitted task's permit with its outcome, and counts it. */
  private void complete(AdmissionTask<?> task, Outcome outcome) {
    counters.completed(outcome, task.options.priority().ordinal());
    releaseUnits(task, outcome);
  }

  /** Called by a task's run() when it has finished. */
  void finished(AdmissionTask<?> task, Outcome outcome) {
    try {
      if (outcome == Outcome.SUCCESS) {
        long now = clock.nanoTime();
        service.record(task.longTask, now - task.dispatchedNanos, now);
      }
      complete(task, outcome);
    } finally {
      // Even if a limit listener throws from release(): settle the task and dispatch the next.
      lifecycle.leave();
      loop.drain();
    }
  }

  /**
   * Called when a task is cancelled after it was admitted but before it ran. A limit listener's
   * exception is reported: cancel() has settled the task and must say so, not throw.
   */
  void cancelledWhileAdmitted(AdmissionTask<?> task) {
    try {
      complete(task, Outcome.IGNORED);
    } catch (RuntimeException listenerFailed) {
      Uncaught.report(listenerFailed);
    } finally {
      lifecycle.leave();
      loop.drain();
    }
  }

  /**
   * Called when a task is cancelled while queued; the pass this triggers (now or by the current
   * dispatcher) drops it once it is at the oldest end of its queue.
   */
  void cancelledWhileQueued() {
    lifecycle.leave();
    loop.drain();
  }

  Outcome classify(Throwable failure) {
    try {
      Outcome outcome = classifier.classify(failure);
      return outcome == Outcome.DROPPED ? Outcome.DROPPED : Outcome.IGNORED;
    } catch (RuntimeException e) {
      return Outcome.IGNORED;
    }
  }

  // ---------------------------------------------------------------- estimates

  /** Returns the wait of a task that joins the queues at {@code level} (ServiceTimeEstimates). */
  private long waitEstimate(int level, long serviceNanos) {
    return ServiceTimeEstimates.waitEstimate(queues.queuedUpTo(level), serviceNanos,
        limiter.limit());
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void shutdown() {
    lifecycle.shutdown();
    loop.drain();
  }

  @Override
  public List<Runnable> shutdownNow() {
    lifecycle.stop();
    if (loop.onDispatcherThread()) {
      loop.collectStopped(); // called by a task that a pass of this thread runs inline
    } else {
      loop.drain();
      lifecycle.awaitCollection();
    }
    return lifecycle.takeCollected();
  }

  @Override
  public boolean isShutdown() {
    return lifecycle.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return lifecycle.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return lifecycle.awaitTermination(timeout, unit);
  }

  // ---------------------------------------------------------------- metrics

  @Override
  public Limiter limiter() {
    return limiter;
  }

  @Override
  public void sweep() {
    loop.drain();
  }

  @Override
  public int queued() {
    return queues.queuedUpTo(LEVELS - 1);
  }

  @Override
  public int queued(Priority priority) {
    return queues.queuedAt(Args.notNull("priority", priority).ordinal());
  }

  /** Reads every count: completions before admissions, so that admitted >= completed. */
  @Override
  public ExecutorSnapshot snapshot() {
    ExecutorSnapshot.Builder b = ExecutorSnapshot.newBuilder();
    for (Priority p : Priority.values()) {
      counters.addCounts(b, p);
      b.queued(p, queued(p));
      counters.addQueueWait(b, p);
    }
    return b.build();
  }

  @Override
  public String toString() {
    return "AdmissionExecutor[limiter=" + limiter + ", queued=" + queued() + ", shutdown="
        + isShutdown() + ", terminated=" + isTerminated() + "]";
  }
}
