package io.sluice.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The real servers the filter is tested on, each started on 127.0.0.1 at a free port with the
 * filter (async supported, first dispatches only) in front of one servlet for every path.
 */
enum Server {
  JETTY {
    @Override
    Running start(Filter filter, HttpServlet servlet) throws Exception {
      org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
      server.addConnector(connector);
      ServletContextHandler context = new ServletContextHandler();
      ServletHolder app = new ServletHolder(servlet);
      app.setAsyncSupported(true);
      context.addServlet(app, "/*");
      FilterHolder sluice = new FilterHolder(filter);
      sluice.setAsyncSupported(true);
      context.addFilter(sluice, "/*", EnumSet.of(DispatcherType.REQUEST));
      server.setHandler(context);
      server.start();
      return new Running(URI.create("http://127.0.0.1:" + connector.getLocalPort()), server::stop);
    }
  },
  TOMCAT {
    @Override
    Running start(Filter filter, HttpServlet servlet) throws Exception {
      File base = Files.createTempDirectory("sluice-tomcat").toFile();
      quietTomcat();
      Tomcat tomcat = new Tomcat();
      tomcat.setSilent(true);
      tomcat.setBaseDir(base.getPath());
      Connector connector = new Connector();
      connector.setPort(0);
      connector.setProperty("address", "127.0.0.1");
      connector.setProperty("connectionTimeout", Long.toString(IDLE_TIMEOUT_MILLIS));
      tomcat.getService().addConnector(connector);
      tomcat.setConnector(connector);
      Context context = tomcat.addContext("", base.getPath());
      Wrapper app = Tomcat.addServlet(context, "app", servlet);
      app.setAsyncSupported(true);
      app.addMapping("/*");
      FilterDef sluice = new FilterDef();
      sluice.setFilterName("sluice");
      sluice.setFilter(filter);
      sluice.setAsyncSupported("true");
      context.addFilterDef(sluice);
      FilterMap mapping = new FilterMap();
      mapping.setFilterName("sluice");
      mapping.addURLPattern("/*");
      context.addFilterMap(mapping);
      tomcat.start();
      quietTomcat();
      return new Running(URI.create("http://127.0.0.1:" + connector.getLocalPort()), () -> {
        tomcat.stop();
        tomcat.destroy();
        delete(base);
      });
    }
  };

  /**
   * How long a server waits on a silent connection, a blocked write included: a client that
   * stops reading without closing its connection holds a request in flight (and its permit)
   * until then.
   */
  static final long IDLE_TIMEOUT_MILLIS = 5_000;

  /**
   * Tomcat logs every exception a servlet throws through java.util.logging, and sets the level of
   * some loggers of its own: they are turned off and held here, so that they stay off.
   */
  private static final List<Logger> QUIET = new CopyOnWriteArrayList<>();

  /** Turns Tomcat's logging off (again: starting Tomcat may reset the levels). */
  static void quietTomcat() {
    QUIET.add(Logger.getLogger("org.apache"));
    for (String name : Collections.list(LogManager.getLogManager().getLoggerNames())) {
      if (name.startsWith("org.apache")) {
        QUIET.add(Logger.getLogger(name));
      }
    }
    for (Logger logger : QUIET) {
      logger.setLevel(Level.OFF);
    }
  }

  abstract Running start(Filter filter, HttpServlet servlet) throws Exception;

  private static void delete(File file) {
    File[] children = file.listFiles();
    if (children != null) {
      for (File child : children) {
        delete(child);
      }
    }
    if (!file.delete() && file.exists()) {
      throw new UncheckedIOException(new IOException("cannot delete " + file));
    }
  }

  /** A started server. */
  static final class Running {
    private final URI base;
    private final Stopper stopper;

    Running(URI base, Stopper stopper) {
      this.base = base;
      this.stopper = stopper;
    }

    URI uri(String pathAndQuery) {
      return base.resolve(pathAndQuery);
    }

    void stop() throws Exception {
      stopper.stop();
    }
  }

  /** Stops a server. */
  interface Stopper {
    void stop() throws Exception;
  }
}
