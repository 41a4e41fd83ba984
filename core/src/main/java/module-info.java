/**
 * Sluice: in-process admission control. Adaptive concurrency limits that find what the protected
 * resource can serve at low latency, rejections with a Retry-After hint, guards that put them in
 * front of executors and resource pools, rate limits and per-key quotas, a client-side circuit
 * breaker and retry helpers that honour Retry-After, metrics snapshots and an overload signal. No
 * dependency beyond the JDK: the Micrometer binder is the module io.sluice.micrometer and the
 * virtual-time simulator the module io.sluice.simulator.
 */
module io.sluice {
  // The GC and CPU detectors: GarbageCollectorMXBean always; GC notifications and the process CPU
  // time (com.sun.management) where the runtime has them, with a fallback where it has not.
  requires java.management;
  requires static jdk.management;
  // io.sluice.pool.GuardedDataSource and DataSourceAdapter implement JDBC interfaces. Static: core
  // still needs no module beyond java.base and java.management at run time (a user of those
  // classes made a DataSource, so java.sql is in the user's module graph already). Transitive:
  // their signatures name JDBC types, so a module that reads io.sluice reads java.sql to compile.
  requires static transitive java.sql;
  // @CheckReturnValue on every method returning a ticket or a permit, for Error Prone and IDEs;
  // compile time only, so core still needs nothing beyond the JDK at run time, nor a user's
  // compiler: without the jar the annotations are simply not seen (hence the types that carry
  // them suppress the "exports" lint, which asks for a transitive requirement).
  requires static com.google.errorprone.annotations;

  exports io.sluice;
  exports io.sluice.breaker;
  exports io.sluice.client;
  exports io.sluice.detector;
  exports io.sluice.executor;
  exports io.sluice.fair;
  exports io.sluice.limit;
  exports io.sluice.metrics;
  exports io.sluice.pool;
  exports io.sluice.rate;
}
