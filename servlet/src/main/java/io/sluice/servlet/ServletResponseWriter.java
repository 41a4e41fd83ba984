package io.sluice.servlet;

import io.sluice.http.ResponseWriter;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Writes a refusal to a servlet response that nothing has written to yet. One per refusal. */
final class ServletResponseWriter implements ResponseWriter {
  private final HttpServletResponse response;

  ServletResponseWriter(HttpServletResponse response) {
    this.response = response;
  }

  @Override
  public void status(int status) {
    response.setStatus(status);
  }

  @Override
  public void header(String name, String value) {
    response.setHeader(name, value);
  }

  @Override
  public void body(byte[] content) throws IOException {
    response.setContentLength(content.length);
    response.getOutputStream().write(content);
  }
}
