package io.sluice.examples.http;

import io.sluice.http.HttpRefusal;
import io.sluice.http.ResponseWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Writes an {@link HttpRefusal} to a Jetty (core API) response without blocking: the template of
 * a {@link ResponseWriter} for any server. Jetty completes {@code callback} once the body is
 * written (or failed), leaves the body out of the answer to a HEAD request, and keeps the
 * connection open for the client's next request.
 *
 * <p>Belongs to one response: used by one thread, once.
 */
final class JettyWriter implements ResponseWriter {
  private final Response response;
  private final Callback callback;

  private JettyWriter(Response response, Callback callback) {
    this.response = response;
    this.callback = callback;
  }

  /** Sends {@code refusal} as the response and completes {@code callback} when it is written. */
  static void send(HttpRefusal refusal, Response response, Callback callback) {
    try {
      refusal.writeTo(new JettyWriter(response, callback));
    } catch (IOException e) {
      callback.failed(e); // not thrown by this writer (Jetty reports failures to the callback)
    }
  }

  @Override
  public void status(int status) {
    response.setStatus(status);
  }

  @Override
  public void header(String name, String value) {
    response.getHeaders().put(name, value);
  }

  @Override
  public void body(byte[] content) {
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length);
    response.write(true, ByteBuffer.wrap(content), callback);
  }
}
