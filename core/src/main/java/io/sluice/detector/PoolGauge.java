package io.sluice.detector;

/**
 * What a {@link PoolSaturationDetector} reads from a pool of workers or resources: how many are in
 * use, and how many tasks or callers wait for one. {@link PoolSaturationDetector} adapts a
 * {@code ThreadPoolExecutor} and a {@code PoolGuard}; implement this for any other pool (a
 * connection pool's active and pending counts, for example).
 *
 * <p>Called from the detector's sampling thread, while the pool is in use by others: readings need
 * not be atomic together, but must be safe to take from any thread.
 */
public interface PoolGauge {

  /** Returns the workers or resources in use now. */
  int busy();

  /** Returns the tasks or callers waiting for a worker or resource now; 0 while one is free. */
  int waiting();
}
