package io.sluice.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;

/**
 * The wrappers that mark a response's first byte, for
 * {@link SluiceFilter.Builder#sampleAtFirstByte}: the first write or flush of the body, through
 * the output stream or the writer, or a {@code flushBuffer()}, records the permit's latency
 * sample ({@link Admission#firstByte()}).
 *
 * <p>The request is wrapped too, so that an application that starts an async cycle with
 * {@code startAsync()} and writes through {@code AsyncContext.getResponse()} (the original
 * response, by the servlet specification) writes through the marking response all the same: the
 * wrapper starts the cycle with itself and the marking response.
 */
final class FirstByte {
  private FirstByte() {}

  /** A request whose async cycle hands out the marking response. */
  static final class Request extends HttpServletRequestWrapper {
    private final Response response;

    Request(HttpServletRequest request, Response response) {
      super(request);
      this.response = response;
    }

    @Override
    public AsyncContext startAsync() {
      return startAsync(this, response);
    }
  }

  /** A response whose body marks the first byte. */
  static final class Response extends HttpServletResponseWrapper {
    private final Admission admission;
    private ServletOutputStream stream;
    private PrintWriter writer;

    Response(HttpServletResponse response, Admission admission) {
      super(response);
      this.admission = admission;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      if (stream == null) {
        stream = new Stream(super.getOutputStream(), admission);
      }
      return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      if (writer == null) {
        writer = new Writer(super.getWriter(), admission);
      }
      return writer;
    }

    @Override
    public void flushBuffer() throws IOException {
      admission.firstByte();
      super.flushBuffer();
    }
  }

  /** The container's stream, marking the first write or flush. */
  static final class Stream extends ServletOutputStream {
    private final ServletOutputStream out;
    private final Admission admission;

    Stream(ServletOutputStream out, Admission admission) {
      this.out = out;
      this.admission = admission;
    }

    @Override
    public void write(int b) throws IOException {
      admission.firstByte();
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      admission.firstByte();
      out.write(b, off, len);
    }

    @Override
    public void write(ByteBuffer buffer) throws IOException {
      admission.firstByte();
      out.write(buffer);
    }

    @Override
    public void flush() throws IOException {
      admission.firstByte();
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }

    @Override
    public boolean isReady() {
      return out.isReady();
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      out.setWriteListener(listener);
    }
  }

  /**
   * The container's writer, marking the first write or flush. A {@link PrintWriter} over a
   * {@link PrintWriter}: {@link #checkError()} reports the container's errors, as it would.
   */
  static final class Writer extends PrintWriter {
    private final Admission admission;

    Writer(PrintWriter out, Admission admission) {
      super(out, false);
      this.admission = admission;
    }

    @Override
    public void write(int c) {
      admission.firstByte();
      super.write(c);
    }

    @Override
    public void write(char[] buf, int off, int len) {
      admission.firstByte();
      super.write(buf, off, len);
    }

    @Override
    public void write(String s, int off, int len) {
      admission.firstByte();
      super.write(s, off, len);
    }

    @Override
    public void flush() {
      admission.firstByte();
      super.flush();
    }
  }
}
