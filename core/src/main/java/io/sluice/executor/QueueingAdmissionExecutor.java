package io.sluice.executor;

import io.sluice.AdmissionRejectedException;
import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.Outcome;
import io.sluice.Priority;
import io.sluice.RejectReason;
import io.sluice.RejectionListener;
import io.sluice.Ticket;
import io.sluice.internal.Args;
import io.sluice.internal.RetryAfterEstimator;
import io.sluice.metrics.ExecutorSnapshot;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * This class holds submission, admission and dispatch; the rules it applies live in classes named
 * after them: QueueDiscipline (strict priority, CoDel, adaptive LIFO), ServiceTimeEstimates (the
 * service and wait estimates of the deadline checks), LongTaskShare (the long-task sub-limit),
 * ExecutorLifecycle (shutdown, shutdownNow, termination) and ExecutorCounters (the snapshot's
 * counts), each a final field whose methods are small enough for the JIT to inline; invokeAll
 * and invokeAny (Invocations) wait on the executor's own tasks, off the submission path.
 *
 * Dispatch without lost wake-ups (the "drain loop" of Caffeine's buffers and reactive libraries):
 * every event that may let a queued task run — a task queued, a permit released, a shutdown —
 * calls drain(), which increments the counter `wip`. The thread whose increment found 0 becomes
 * the dispatcher; it runs a pass over the queues, then subtracts the increments it has seen and
 * runs another pass if more arrived meanwhile. Any other thread returns at once. A task queued while
 * the last permit is released is therefore seen: whichever of the two events comes second either
 * finds wip at 0 and dispatches itself, or leaves an increment that forces another pass after the
 * first event's. The dispatcher takes no lock and never waits; it may call the wrapped executor's
 * execute(), which for a caller-runs executor runs the task inline (its completion's drain() then
 * only leaves an increment).
 *
 * A pass: for each level from CRITICAL_PLUS down, and within a level the regular class before the
 * long class, move the ring into the staging deque, shed from the oldest end (cancelled, past
 * deadline, or older than the CoDel target while the queue stands), then admit from the oldest end
 * (or the newest while the queue stands, if adaptive LIFO is on) until the limiter refuses. A
 * refusal by the limiter stops the pass for all lower levels (strict priority); a refusal by the
 * long-task sub-limit stops only the long class. Lower levels are still purged. The clock is read
 * once per pass, and not at all when every queue is empty (the common case of a release).
 */
final class QueueingAdmissionExecutor extends AbstractExecutorService
    implements AdmissionExecutor {
  private static final VarHandle WIP;

  /** A refusal by the long-task sub-limit; never a valid rejection ticket (reason bits 31). */
  private static final long SUB_LIMITED = Long.MIN_VALUE;
  /** serve(): the queue is empty or the long-task sub-limit refused; lower levels may go on. */
  private static final int PASSED = 0;
  /** serve(): the limiter refused; lower levels wait. */
  private static final int BLOCKED = 1;
  private static final int LEVELS = Priority.LEVELS;

  static {
    try {
      WIP = MethodHandles.lookup()
          .findVarHandle(QueueingAdmissionExecutor.class, "wip", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Executor delegate;
  private final Limiter limiter;
  private final NanoClock clock;
  private final QueueDiscipline queues;
  private final ServiceTimeEstimates service;
  private final int longTaskMinCost;
  private final LongTaskShare longTasks;
  private final FailureClassifier classifier;
  private final ShedListener shedListener;
  private final double retryAfterJitter;
  private final RejectionListener rejectionListener;
  private final ExecutorCounters counters = new ExecutorCounters();
  private final ExecutorLifecycle lifecycle = new ExecutorLifecycle();
  /** The task newTaskFor made last on each thread, until the execute() that follows it. */
  private final ThreadLocal<AdmissionTask<?>> lastTaskFor = new ThreadLocal<>();

  private volatile int wip;
  /** The thread running a dispatch pass, if any; lets shutdownNow() from inside a pass collect. */
  private volatile Thread dispatcher;

  QueueingAdmissionExecutor(AdmissionExecutor.Builder b, Limiter limiter) {
    this.delegate = b.delegate;
    this.limiter = limiter;
    this.clock = b.clock;
    this.longTaskMinCost = b.longTaskMinCost;
    this.longTasks = new LongTaskShare(b.longTaskMaxShare);
    this.service = new ServiceTimeEstimates(b.codelIntervalNanos);
    this.classifier = b.classifier;
    this.shedListener = b.shedListener;
    this.retryAfterJitter = b.retryAfterJitter;
    this.rejectionListener = b.rejectionListener;
    // The clock is read only if there are queues: the reading their first empty spell starts at.
    this.queues = new QueueDiscipline(b.queueCapacity, longTaskMinCost != Integer.MAX_VALUE,
        b.codelTargetNanos, b.codelIntervalNanos, b.adaptiveLifo,
        b.queueCapacity > 0 ? clock.nanoTime() : 0L);
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
      AdmissionRejectedException e = rejection(RejectReason.SHUTDOWN, task, 0L, false);
      task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE);
      task.completeExceptionally(e);
      notifyRejected(RejectReason.SHUTDOWN, task, 0L);
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
      throw refuse(task, RejectReason.DEADLINE, retryAfter(level));
    }
    if (queues.higherLevelStanding(level, now)) {
      throw refuse(task, RejectReason.PRIORITY_SHED, retryAfter(level));
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
          throw refuse(task, RejectReason.LIMIT_REACHED, retryAfter(level));
        }
        throw refuse(task, Ticket.reason(ticket), Ticket.retryAfterNanos(ticket));
      }
    }
    if (timed
        && remaining < ServiceTimeEstimates.saturatedAdd(service, waitEstimate(level, service))) {
      throw refuse(task, RejectReason.DEADLINE, retryAfter(level));
    }
    if (!queue.offer(task, now)) {
      throw refuse(task, RejectReason.QUEUE_FULL, retryAfter(level));
    }
    drain();
    if (lifecycle.stopping() && task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
      // shutdownNow() collected the queues before this task reached them.
      AdmissionRejectedException e = rejection(RejectReason.SHUTDOWN, task, 0L, false);
      task.completeExceptionally(e);
      try {
        notifyRejected(RejectReason.SHUTDOWN, task, 0L);
      } finally {
        lifecycle.leave();
      }
      throw e;
    }
  }

  /**
   * Settles a task refused at submission and returns the exception to throw. Listeners are told
   * last, and even an Error from one leaves the task settled (the same holds for shed()).
   */
  private AdmissionRejectedException refuse(AdmissionTask<?> task, RejectReason reason,
      long retryAfterNanos) {
    AdmissionRejectedException e = rejection(reason, task, retryAfterNanos, false);
    task.completeExceptionally(e);
    try {
      notifyRejected(reason, task, retryAfterNanos);
    } finally {
      if (task.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
        lifecycle.leave();
      }
    }
    return e;
  }

  /** Counts a refusal at submission (or a later shed) and returns its exception. */
  private AdmissionRejectedException rejection(RejectReason reason, AdmissionTask<?> task,
      long retryAfterNanos, boolean shed) {
    counters.rejected(reason, task.options.priority().ordinal(), shed);
    return new AdmissionRejectedException(reason, retryAfterNanos);
  }

  private void notifyRejected(RejectReason reason, AdmissionTask<?> task, long retryAfterNanos) {
    RejectionListener listener = rejectionListener;
    if (listener != null) {
      try {
        listener.onRejected(reason, task.options.priority(), retryAfterNanos);
      } catch (RuntimeException ignored) {
        // Documented: the rejection stands whatever the listener does.
      }
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
  private long tryAdmit(AdmissionTask<?> task) {
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
  private void dispatch(AdmissionTask<?> task, long permit, long now) {
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
        shed(task, RejectReason.QUEUE_FULL, retryAfter(task.options.priority().ordinal()), refused);
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
      drain();
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
      drain();
    }
  }

  /**
   * Called when a task is cancelled while queued; the pass this triggers (now or by the current
   * dispatcher) drops it once it is at the oldest end of its queue.
   */
  void cancelledWhileQueued() {
    lifecycle.leave();
    drain();
  }

  Outcome classify(Throwable failure) {
    try {
      Outcome outcome = classifier.classify(failure);
      return outcome == Outcome.DROPPED ? Outcome.DROPPED : Outcome.IGNORED;
    } catch (RuntimeException e) {
      return Outcome.IGNORED;
    }
  }

  // ---------------------------------------------------------------- dispatch

  /** Signals that a queued task may be dispatchable; dispatches unless another thread is. */
  private void drain() {
    if ((int) WIP.getAndAdd(this, 1) != 0) {
      return;
    }
    Thread self = Thread.currentThread();
    int missed = 1;
    Error fatal = null;
    for (;;) {
      dispatcher = self;
      try {
        pass();
      } catch (RuntimeException e) {
        // A broken clock or limiter ended the pass. The signals other threads left (one may be
        // shutdownNow() waiting for the queues to be collected) still get their passes below,
        // and the thread whose event this is may be a submitter whose task was accepted.
        Uncaught.report(e);
      } catch (Error e) {
        fatal = fatal == null ? e : fatal;
      } finally {
        dispatcher = null;
      }
      missed = (int) WIP.getAndAdd(this, -missed) - missed;
      if (missed == 0) {
        break;
      }
    }
    if (fatal != null) {
      throw fatal;
    }
  }

  private void pass() {
    if (lifecycle.stopping()) {
      collectStopped();
      return;
    }
    long now = 0;
    boolean clockRead = false;
    boolean blocked = false;
    for (int i = 0; i < queues.size(); i++) {
      TaskQueue queue = queues.at(i);
      if (queue == null || queue.count() == 0) {
        continue;
      }
      if (!clockRead) {
        now = clock.nanoTime(); // once per pass, and only when something waits
        clockRead = true;
      }
      queue.transfer();
      purge(queue, now);
      if (!blocked) {
        blocked = serve(queue, now) == BLOCKED;
        if (lifecycle.stopping()) {
          return; // a task run inline called shutdownNow(), which collected the queues
        }
      }
    }
  }

  /** Sheds from the oldest end: cancelled tasks, expired deadlines, and CoDel timeouts. */
  private void purge(TaskQueue queue, long now) {
    for (AdmissionTask<?> t = queue.oldest(); t != null; t = queue.oldest()) {
      if (!drop(queue, t, false, now)) {
        if (!queues.overstayed(queue, t, now)) {
          return;
        }
        queue.remove(false, now);
        shedQueued(t, RejectReason.QUEUE_TIMEOUT);
      }
    }
  }

  /** Drops {@code t} (at the given end) if it is settled or past its deadline; says whether it did. */
  private boolean drop(TaskQueue queue, AdmissionTask<?> t, boolean newest, long now) {
    if (t.state() != AdmissionTask.QUEUED || t.isDone()) {
      queue.remove(newest, now);
      if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
        lifecycle.leave(); // completed by its caller while queued
      }
      return true;
    }
    if (t.options.hasDeadline() && t.deadlineNanos - now <= 0) {
      queue.remove(newest, now);
      shedQueued(t, RejectReason.DEADLINE);
      return true;
    }
    return false;
  }

  /** Admits tasks from one queue until it is empty or refused; returns PASSED or BLOCKED. */
  private int serve(TaskQueue queue, long now) {
    for (;;) {
      boolean newest = queues.servesNewest(queue, now);
      AdmissionTask<?> t = newest ? queue.newest() : queue.oldest();
      if (t == null) {
        return PASSED;
      }
      if (drop(queue, t, newest, now)) {
        continue;
      }
      long ticket;
      try {
        ticket = tryAdmit(t);
      } catch (IllegalArgumentException e) {
        queue.remove(newest, now);
        if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
          t.completeExceptionally(e);
          lifecycle.leave();
        }
        continue;
      }
      if (Ticket.isRejection(ticket)) {
        return ticket == SUB_LIMITED ? PASSED : BLOCKED;
      }
      queue.remove(newest, now);
      dispatch(t, ticket, now);
      if (lifecycle.stopping()) {
        return PASSED;
      }
    }
  }

  private void shedQueued(AdmissionTask<?> t, RejectReason reason) {
    if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
      shed(t, reason, retryAfter(t.options.priority().ordinal()), null);
    }
  }

  /** Completes an accepted task exceptionally with a rejection; the caller won its state CAS. */
  private void shed(AdmissionTask<?> t, RejectReason reason, long retryAfterNanos, Throwable cause) {
    AdmissionRejectedException e = rejection(reason, t, retryAfterNanos, true);
    if (cause != null) {
      e.initCause(cause);
    }
    try {
      t.completeExceptionally(e);
      if (t.task instanceof Future<?>) {
        cancelForeign(t, e);
      }
      notifyRejected(reason, t, retryAfterNanos);
      if (shedListener != null) {
        try {
          shedListener.onShed(t.task, e);
        } catch (RuntimeException ignored) {
          // Documented: the listener's exceptions are discarded.
        }
      }
    } finally {
      lifecycle.leave(); // after the listeners, so that termination happens-after them
    }
  }

  /** A shed foreign future (a FutureTask given to execute()) would otherwise never complete. */
  private static void cancelForeign(AdmissionTask<?> t, AdmissionRejectedException e) {
    if (t.wrapped != null) {
      t.wrapped.failUnrun(e); // before the wrapper's done() hands it to a completion queue
    }
    try {
      ((Future<?>) t.task).cancel(false);
    } catch (RuntimeException doneHookFailed) {
      Uncaught.report(doneHookFailed);
    }
  }

  // ---------------------------------------------------------------- estimates

  /** Returns the wait of a task that joins the queues at {@code level} (ServiceTimeEstimates). */
  private long waitEstimate(int level, long serviceNanos) {
    return ServiceTimeEstimates.waitEstimate(queues.queuedUpTo(level), serviceNanos,
        limiter.limit());
  }

  /**
   * The Retry-After of the executor's own refusals: the limiter's estimate for a request that
   * would join the queue behind the tasks queued at {@code level} and above, jittered once with
   * this executor's jitter, within the limiter's range (see RetryAfterEstimator).
   */
  private long retryAfter(int level) {
    return RetryAfterEstimator.advertise(limiter, queues.queuedUpTo(level), retryAfterJitter);
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void shutdown() {
    lifecycle.shutdown();
    drain();
  }

  @Override
  public List<Runnable> shutdownNow() {
    lifecycle.stop();
    if (dispatcher == Thread.currentThread()) {
      collectStopped(); // called by a task that a pass of this thread runs inline
    } else {
      drain();
      lifecycle.awaitCollection();
    }
    return lifecycle.takeCollected();
  }

  /** Empties every queue into the tasks shutdownNow returns, each shed with SHUTDOWN. */
  private void collectStopped() {
    try {
      long now = clock.nanoTime();
      for (int i = 0; i < queues.size(); i++) {
        TaskQueue queue = queues.at(i);
        if (queue == null) {
          continue;
        }
        queue.transfer();
        for (AdmissionTask<?> t = queue.remove(false, now); t != null;
            t = queue.remove(false, now)) {
          if (t.transition(AdmissionTask.QUEUED, AdmissionTask.DONE)) {
            lifecycle.collect(t.task);
            shed(t, RejectReason.SHUTDOWN, 0L, null);
          }
        }
      }
    } finally {
      lifecycle.collectionDone(); // shutdownNow() must return, whatever went wrong
    }
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
    drain();
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
