/**
 * Sluice: in-process admission control. Adaptive concurrency limits that find what the protected
 * resource can serve at low latency, rejections with a Retry-After hint, guards that put them in
 * front of executors and resource pools, rate limits and per-key quotas, a client-side circuit
 * breaker and retry helpers that honour Retry-After, metrics snapshots and an overload signal (with
 * an optional Micrometer binder). The virtual-time simulator lives in its own module,
 * {@code io.sluice.simulator}.
 */
module io.sluice {
  // Optional: only io.sluice.metrics.micrometer uses Micrometer, when the application has it.
  requires static micrometer.core;

  exports io.sluice;
  exports io.sluice.breaker;
  exports io.sluice.client;
  exports io.sluice.executor;
  exports io.sluice.limit;
  exports io.sluice.metrics;
  exports io.sluice.metrics.micrometer;
  exports io.sluice.pool;
  exports io.sluice.rate;
}
