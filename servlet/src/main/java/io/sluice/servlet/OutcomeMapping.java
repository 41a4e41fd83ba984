package io.sluice.servlet;

import io.sluice.Outcome;

/**
 * Decides the {@link Outcome} an admitted request's permit is released with, from the way the
 * request ended: what the limit algorithm learns from it. {@link #standard()} is the default of
 * {@link SluiceFilter}:
 *
 * <table>
 *   <caption>The standard mapping</caption>
 *   <tr><th>the request</th><th>outcome</th></tr>
 *   <tr><td>completed with a 1xx, 2xx or 3xx status</td><td>{@link Outcome#SUCCESS}: a latency
 *       sample</td></tr>
 *   <tr><td>completed with 503 or 504</td><td>{@link Outcome#DROPPED}: a capacity signal, the
 *       limit shrinks</td></tr>
 *   <tr><td>completed with another 4xx or 5xx</td><td>{@link Outcome#IGNORED}: a bad request or a
 *       bug says nothing about capacity</td></tr>
 *   <tr><td>{@link Ending#TIMED_OUT}: an async request past its timeout</td>
 *       <td>{@link Outcome#DROPPED}</td></tr>
 *   <tr><td>{@link Ending#FAILED} with a capacity signal: a {@code TimeoutException}, a
 *       {@code SocketTimeoutException}, a {@code RejectedExecutionException} or an
 *       {@code AdmissionRejectedException}, thrown or the cause of what was thrown</td>
 *       <td>{@link Outcome#DROPPED}</td></tr>
 *   <tr><td>{@link Ending#FAILED} with any other exception</td>
 *       <td>{@link Outcome#IGNORED}</td></tr>
 *   <tr><td>{@link Ending#CLIENT_ABORTED}</td><td>{@link Outcome#IGNORED}: the client left,
 *       the server did not fail</td></tr>
 * </table>
 *
 * <p>A mapping of your own may delegate the cases it does not care about to
 * {@link #standard()}. It is called once per admitted request, on the thread that ends it (the
 * request's, or the server's thread that completes an async request); it must be thread-safe,
 * must not block, and should not allocate, as it runs on every request. Returning null or
 * throwing releases the permit as {@link Outcome#IGNORED} (an exception then propagates).
 */
@FunctionalInterface
public interface OutcomeMapping {

  /**
   * Returns the outcome of a request that ended so.
   *
   * @param ending how the request ended
   * @param status the response's status code when it ended (the server's default, 200, if the
   *     application set none; for a failure, what the application set before it)
   * @param failure what was thrown, for {@link Ending#FAILED} and usually
   *     {@link Ending#CLIENT_ABORTED}; null otherwise
   */
  Outcome outcome(Ending ending, int status, Throwable failure);

  /** Returns the standard mapping described above. */
  static OutcomeMapping standard() {
    return StandardOutcomes.INSTANCE;
  }

  /** How an admitted request ended. */
  enum Ending {
    /** The response completed: the filter chain returned, or an async request completed. */
    COMPLETED,
    /** The filter chain threw, or an async request reported an error. */
    FAILED,
    /** An async request reached its timeout. */
    TIMED_OUT,
    /**
     * The client went away: writing the response failed with the container's sign of a closed
     * connection (a broken pipe, a reset, an end of stream).
     */
    CLIENT_ABORTED
  }
}
