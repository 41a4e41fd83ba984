package io.sluice;

/**
 * Told of every rejection a limiter or guard makes: for alerts, logs and custom metrics. Register
 * it on the builder ({@code Limiter.Builder}, {@code AdmissionExecutor.Builder}, {@code
 * PoolGuard.Builder}); without one, the reject path pays a single null check.
 *
 * <p>Called on the rejecting thread, inside the call that rejected (for a limiter, inside
 * {@link Limiter#tryAcquire(int)}, on its nanosecond reject path), possibly from many threads at
 * once: keep it short, thread-safe and allocation-free. The arguments are primitives and enums, so
 * the call itself allocates nothing. An exception thrown here is discarded; the rejection stands.
 *
 * <p>Who reports what: a limiter reports every refused acquisition (including an executor's
 * attempts to admit queued work), with {@link RejectReason#LIMIT_REACHED} or
 * {@link RejectReason#PRIORITY_SHED} and the priority the caller gave
 * ({@link Priority#CRITICAL} for work that does not say otherwise); a monitor-only limiter reports
 * the refusals it would make, and admits the work. An
 * {@code AdmissionExecutor} reports each task it refuses or sheds once, with the task's priority. A
 * {@code PoolGuard} reports each refused checkout, with {@link Priority#CRITICAL}.
 */
@FunctionalInterface
public interface RejectionListener {

  /** Receives a rejection: why, the priority of the refused work, and the Retry-After advertised. */
  void onRejected(RejectReason reason, Priority priority, long retryAfterNanos);
}
