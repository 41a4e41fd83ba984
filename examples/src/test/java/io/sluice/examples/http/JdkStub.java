package io.sluice.examples.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Scripted stub servers of the client-side tests, on the JDK's HttpServer: a handler per test, no
 * limits needed (the tests' own clients are the only ones).
 */
final class JdkStub {
  private static final byte[] OK_BODY = "{\"rows\":1}".getBytes(StandardCharsets.UTF_8);

  private JdkStub() {}

  /** Creates an unstarted JDK server on an ephemeral loopback port. */
  static HttpServer bind(int port, int backlog) throws IOException {
    return HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
        backlog);
  }

  /** Returns the URI of {@code path} on {@code server}. */
  static URI uri(HttpServer server, String path) {
    InetSocketAddress address = server.getAddress();
    return URI.create("http://" + address.getAddress().getHostAddress() + ":"
        + address.getPort() + path);
  }

  /** Answers 200 with the same small JSON body as the demo servers, and closes the exchange. */
  static void answerOk(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, OK_BODY.length);
      exchange.getResponseBody().write(OK_BODY);
    }
  }
}
