/**
 * Sluice for Jakarta Servlet 6 servers (Jetty 12, Tomcat 11, any other): {@link
 * io.sluice.servlet.SluiceFilter} admits each request through a limiter of its route, refuses the
 * rest with the refusals of {@code io.sluice.http}, and releases every permit exactly once, for
 * synchronous and async requests. The servlet API is the server's: this module brings no copy.
 */
module io.sluice.servlet {
  requires transitive io.sluice.http;
  requires transitive jakarta.servlet;

  exports io.sluice.servlet;
}
