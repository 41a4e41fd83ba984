package io.sluice.examples.servlet;

import io.sluice.Limiter;
import io.sluice.http.PriorityHeader;
import io.sluice.http.RouteTable;
import io.sluice.http.TrustedSources;
import io.sluice.servlet.SluiceFilter;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A servlet application on embedded Jetty 12 behind {@link SluiceFilter}: {@code /hello}
 * answers at once, {@code /stream} streams three lines from another thread (an async request,
 * released when it completes), {@code /health} bypasses admission. Run it with
 * {@code java -cp examples/target/sluice-demo.jar io.sluice.examples.servlet.ServletExample [port]}
 * and try {@code curl -i http://127.0.0.1:8080/hello}.
 */
public final class ServletExample implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final Limiter limiter;
  private final ExecutorService streams = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "stream-writer");
    t.setDaemon(true);
    return t;
  });

  private ServletExample(int port, Limiter limiter) {
    this.limiter = limiter;
    this.server = new Server();
    this.connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);

    SluiceFilter filter = SluiceFilter.newBuilder(RouteTable.newBuilder(limiter)
            .bypass("/health")                                   // answers even under overload
            .build())
        .priorities(PriorityHeader.newBuilder()
            .trustedSources(TrustedSources.loopback())           // X-Priority from this host
            .build())
        .build();
    ServletContextHandler context = new ServletContextHandler();
    ServletHolder app = new ServletHolder(new App(streams));
    app.setAsyncSupported(true);
    context.addServlet(app, "/*");
    FilterHolder sluice = new FilterHolder(filter);
    sluice.setAsyncSupported(true);
    context.addFilter(sluice, "/*", EnumSet.of(DispatcherType.REQUEST));
    server.setHandler(context);
  }

  /** Starts the example on 127.0.0.1 at {@code port} (0: any free port) with this limiter. */
  public static ServletExample start(int port, Limiter limiter) throws Exception {
    ServletExample example = new ServletExample(port, limiter);
    example.server.start();
    return example;
  }

  /** Starts the example with an adaptive limiter and waits until it is stopped. */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
    try (ServletExample example = start(port, Limiter.newBuilder().build())) {
      System.out.println("Listening on http://127.0.0.1:" + example.port()
          + "/ (hello, stream, health)");
      example.server.join();
    }
  }

  /** Returns the port the server listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** Returns the limiter in front of the application. */
  public Limiter limiter() {
    return limiter;
  }

  /** Stops the server. */
  @Override
  public void close() {
    streams.shutdownNow();
    try {
      server.stop();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("the server did not stop", e);
    }
  }

  /** The application: knows nothing of Sluice. */
  private static final class App extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient ExecutorService streams;

    App(ExecutorService streams) {
      this.streams = streams;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain;charset=utf-8");
      switch (request.getRequestURI()) {
        case "/hello":
          response.getWriter().println("hello");
          break;
        case "/health":
          response.getWriter().println("ok");
          break;
        case "/stream":
          AsyncContext async = request.startAsync();
          streams.execute(() -> stream(async));
          break;
        default:
          response.sendError(404);
      }
    }

    private static void stream(AsyncContext async) {
      try {
        PrintWriter out = async.getResponse().getWriter();
        for (int line = 1; line <= 3; line++) {
          out.println("line " + line);
          out.flush();
        }
      } catch (IOException clientGone) {
        // the completion below ends the request all the same
      } finally {
        async.complete();
      }
    }
  }
}
