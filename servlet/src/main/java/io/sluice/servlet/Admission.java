package io.sluice.servlet;

import io.sluice.Limiter;
import io.sluice.servlet.OutcomeMapping.Ending;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The permit of one admitted request that outlives the filter's call: an async request's, or one
 * whose latency is sampled at its first byte. It releases the permit exactly once, at whichever
 * comes first of the filter's own release, the async cycle's completion, its error or its timeout.
 *
 * <p>Design: the containers call a listener from their own threads (a timeout from a scheduler,
 * a completion from the thread that called {@code complete()}, an error from an I/O thread), and
 * after a timeout or an error they complete the cycle too, so two events may race and most
 * requests see two. A compare-and-set of {@link #released} from 0 to 1 elects the one release;
 * every other event is a no-op, so {@code LimiterSnapshot.invalidReleases()} stays 0. The
 * first-byte mark reads the same flag so that a write after the release samples nothing. The
 * limiter's own release and sample are exactly-once too, but calling them twice would count as
 * misuse.
 */
final class Admission implements AsyncListener {
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(Admission.class, "released", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final SluiceFilter filter;
  private final Limiter limiter;
  private final long permit;
  private final HttpServletResponse response;
  @SuppressWarnings("unused") // accessed through RELEASED
  private volatile int released;
  /** Set on the first write; racy by design: a second sample is refused by the limiter. */
  private boolean sampled;

  Admission(SluiceFilter filter, Limiter limiter, long permit, HttpServletResponse response) {
    this.filter = filter;
    this.limiter = limiter;
    this.permit = permit;
    this.response = response;
  }

  /** Releases the permit as the request ended, unless an earlier event released it. */
  void release(Ending ending, int status, Throwable failure) {
    if (RELEASED.compareAndSet(this, 0, 1)) {
      filter.release(limiter, permit, ending, status, failure);
    }
  }

  /** Records the latency sample at the response's first byte, once, while the permit is held. */
  void firstByte() {
    if (!sampled) {
      sampled = true;
      if ((int) RELEASED.getAcquire(this) == 0) {
        limiter.sample(permit);
      }
    }
  }

  /** Returns whether the permit was released. */
  boolean released() {
    return (int) RELEASED.getAcquire(this) != 0;
  }

  @Override
  public void onComplete(AsyncEvent event) {
    release(Ending.COMPLETED, response.getStatus(), null);
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    release(Ending.TIMED_OUT, response.getStatus(), null);
  }

  @Override
  public void onError(AsyncEvent event) {
    Throwable failure = event.getThrowable();
    release(StandardOutcomes.isClientAbort(failure) ? Ending.CLIENT_ABORTED : Ending.FAILED,
        response.getStatus(), failure);
  }

  /** A new async cycle drops the listeners of the last one: stay registered until the end. */
  @Override
  public void onStartAsync(AsyncEvent event) {
    event.getAsyncContext().addListener(this);
  }
}
