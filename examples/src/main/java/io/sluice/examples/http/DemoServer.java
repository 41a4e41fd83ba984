package io.sluice.examples.http;

import java.net.URI;

/**
 * An HTTP server of the overload demo, running on the loopback interface: what the load generator
 * calls and what the demo samples for its chart.
 *
 * <p>Implementations are thread-safe: the gauges may be read from any thread while the server
 * runs.
 */
public interface DemoServer extends AutoCloseable {

  /** The path of the endpoint that queries the database. */
  String QUERY_PATH = "/query";

  /** Returns the URI of the endpoint that queries the database. */
  URI queryUri();

  /** Returns the concurrency limit in force, or -1 if the server has none. */
  int limit();

  /** Returns the requests inside the server: admitted and running, or (unprotected) queued too. */
  int inFlight();

  /** Stops the server at once: closes its connections and its threads. */
  @Override
  void close();
}
