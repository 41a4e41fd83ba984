package io.sluice.examples.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** What both demo servers do the same way: bind the JDK server to loopback, and answer 200. */
final class LoopbackHttp {
  private static final String NO_DELAY = "sun.net.httpserver.nodelay";
  private static final byte[] OK_BODY = "{\"rows\":1}".getBytes(StandardCharsets.UTF_8);

  private LoopbackHttp() {}

  /**
   * Creates a JDK HTTP server on the loopback interface. It turns on TCP_NODELAY for the JDK server
   * (unless the property {@value #NO_DELAY} is already set): the server writes a response's
   * headers and body in two writes, and with Nagle's algorithm the body waits for the client's
   * delayed ACK, adding about 40 ms to a response now and then. The property is read once, when
   * the first server of the JVM is created.
   */
  static HttpServer bind(int port, int backlog) throws IOException {
    if (System.getProperty(NO_DELAY) == null) {
      System.setProperty(NO_DELAY, "true");
    }
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
        backlog);
  }

  /** Returns the URI of {@code path} on {@code server}. */
  static URI uri(HttpServer server, String path) {
    InetSocketAddress address = server.getAddress();
    String host = address.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
        + address.getPort() + path);
  }

  /** Answers 200 with a small JSON body and closes the exchange. */
  static void answerOk(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, OK_BODY.length);
      exchange.getResponseBody().write(OK_BODY);
    }
  }
}
