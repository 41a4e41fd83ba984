package io.sluice;

/**
 * How important a piece of work is: under overload the lowest levels are shed first and critical
 * work keeps flowing while any capacity remains (the criticality levels of Google's SRE book).
 *
 * <p>Guards serve levels in declaration order: {@link #CRITICAL_PLUS} first, {@link #SHEDDABLE}
 * last. Work that does not say otherwise is {@link #CRITICAL}. The exact rule each guard applies is
 * documented on the guard (for the limiter: {@link Limiter#tryAcquire(int, Priority)}; for the
 * executor: {@code io.sluice.executor.AdmissionExecutor}).
 */
public enum Priority {
  /** The most important work: failing it is user-visible and has no fallback. */
  CRITICAL_PLUS,
  /** The default: user-facing work whose failure is visible but tolerable in small amounts. */
  CRITICAL,
  /** Work whose failure is expected in overload and is retried or degraded gracefully. */
  SHEDDABLE_PLUS,
  /** Background and best-effort work, shed first (batch jobs, prefetches, analytics). */
  SHEDDABLE;

  /** The number of levels. */
  public static final int LEVELS = values().length;
}
