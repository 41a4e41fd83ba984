package io.sluice.http;

import java.io.IOException;

/**
 * Where an {@link HttpRefusal} is written: each server integration implements it over its own
 * response type (a servlet response, a Jetty response, the JDK server's exchange), so the refusal
 * itself stays free of any framework. {@link HttpRefusal#writeTo} calls {@link #status} once, then
 * {@link #header} for each field in order, then {@link #body} once.
 *
 * <pre>{@code
 * refusal.writeTo(new ResponseWriter() {
 *   public void status(int status) { response.setStatus(status); }
 *   public void header(String name, String value) { response.setHeader(name, value); }
 *   public void body(byte[] content) throws IOException {
 *     response.setContentLength(content.length);
 *     response.getOutputStream().write(content);
 *   }
 * });
 * }</pre>
 *
 * <p>The fields include {@code Content-Type} but not {@code Content-Length}, which the writer sets
 * from the body as its server requires. The answer to a {@code HEAD} request carries no body: the
 * servers named above drop it themselves; a writer for one that does not ignores the content.
 *
 * <p>Thread-safety: an implementation is called by one thread at a time, for one response.
 */
public interface ResponseWriter {

  /** Sets the status code. */
  void status(int status);

  /** Adds a header field (a refusal never names a field twice). */
  void header(String name, String value);

  /**
   * Writes the body, whose media type the {@code Content-Type} field has given.
   *
   * @param content a copy this writer owns
   * @throws IOException if the server fails to write it
   */
  void body(byte[] content) throws IOException;
}
