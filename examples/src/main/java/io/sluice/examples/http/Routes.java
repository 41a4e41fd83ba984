package io.sluice.examples.http;

import io.sluice.http.RouteTable;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The protected server's router: a request reaches a handler only if its path is exactly a
 * mounted path, as sent, and its method is one the mount allows.
 *
 * <p>Matching is a {@link RouteTable} of exact paths, on the raw path, character for character: no
 * prefix matching, no percent-decoding, no removal of dot-segments. {@code /queryfoo},
 * {@code /query/}, {@code /%71uery} and {@code /query/../health} are not {@code /query} (404), so
 * that any filter a gateway applies to a path string sees the same string the server routes on.
 * The query string is not part of the path. A request with more header fields than allowed is
 * answered 431 before any route sees it (their total size is Jetty's to bound: it answers 431 or
 * 414 itself).
 *
 * <p>Thread-safe: immutable once built.
 */
final class Routes extends Handler.Abstract {
  /** The methods of a read-only resource: GET and HEAD (RFC 9110, section 9.1). */
  static final Set<String> READ_ONLY = Set.of("GET", "HEAD");

  /** Where a path that is not mounted leads: 404, whatever the method. */
  private static final Mount NOT_FOUND = new Mount(null, (request, response, callback) -> {
    LoopbackHttp.answerPlain(response, callback, 404, "no such resource");
    return true;
  });

  private final RouteTable<Mount> mounts;
  private final int maxHeaderFields;

  Routes(Map<String, Mount> mounts, int maxHeaderFields) {
    RouteTable.Builder<Mount> table = RouteTable.newBuilder(NOT_FOUND);
    mounts.forEach(table::exact);
    this.mounts = table.build();
    this.maxHeaderFields = maxHeaderFields;
  }

  /**
   * A handler and the methods it takes.
   *
   * @param methods the methods routed to the handler, or null for every method
   */
  record Mount(Set<String> methods, Request.Handler handler) {
    /** Returns the value of an {@code Allow} header: the methods, sorted. */
    String allow() {
      return String.join(", ", new TreeSet<>(methods));
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (request.getHeaders().size() > maxHeaderFields) {
      LoopbackHttp.answerPlain(response, callback, 431,
          "more than " + maxHeaderFields + " header fields");
      return true;
    }
    Mount mount = mounts.route(request.getHttpURI().getPath()).target();
    if (mount.methods() != null && !mount.methods().contains(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, mount.allow());
      LoopbackHttp.answerPlain(response, callback, 405, "method not allowed");
      return true;
    }
    return mount.handler().handle(request, response, callback);
  }
}
