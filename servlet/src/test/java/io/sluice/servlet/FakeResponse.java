package io.sluice.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A response in memory: status, header fields, body. */
final class FakeResponse extends HttpServletResponseWrapper {
  final Map<String, String> headers = new LinkedHashMap<>();
  final ByteArrayOutputStream body = new ByteArrayOutputStream();
  int status = 200;
  int contentLength = -1;
  int flushes;

  FakeResponse() {
    super(Unsupported.of(HttpServletResponse.class));
  }

  String bodyText() {
    return body.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void setStatus(int status) {
    this.status = status;
  }

  @Override
  public int getStatus() {
    return status;
  }

  @Override
  public void sendError(int status) {
    this.status = status;
  }

  @Override
  public void setHeader(String name, String value) {
    headers.put(name, value);
  }

  @Override
  public String getHeader(String name) {
    return headers.get(name);
  }

  @Override
  public void setContentLength(int length) {
    contentLength = length;
  }

  @Override
  public void flushBuffer() {
    flushes++;
  }

  @Override
  public ServletOutputStream getOutputStream() {
    return new ServletOutputStream() {
      @Override
      public void write(int b) {
        body.write(b);
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setWriteListener(WriteListener listener) {
        throw new UnsupportedOperationException();
      }
    };
  }

  @Override
  public PrintWriter getWriter() {
    return new PrintWriter(new OutputStreamWriter(body, StandardCharsets.UTF_8), true);
  }
}
