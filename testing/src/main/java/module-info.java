/**
 * Test fixtures for code that uses Sluice and for authors of custom limit algorithms: a manual
 * clock that moves only when a test says, a {@link io.sluice.limit.WindowStats} to feed an
 * algorithm, and a limiter that records what its callers did. A test-scope dependency; never
 * needed in production.
 */
module io.sluice.testing {
  requires transitive io.sluice;

  exports io.sluice.testing;
}
