package io.sluice.examples.http;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 client connection over a plain socket, for tests that must send what a well-behaved
 * client never would (slowly, oversized, odd methods and paths) and see exactly what comes back.
 * Every read has a timeout. Not thread-safe, except that {@link #write} and {@link #read} may run
 * on two threads at once (a socket's streams are independent).
 */
final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** An HTTP response: status, header fields (names in lower case) and body. */
  record Answer(int status, Map<String, String> headers, String body) {
    /** Returns the value of a header field, or null. */
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Connects to the host and port of {@code uri}; every read gives up after {@code readMillis}. */
  RawHttp(URI uri, int readMillis) throws IOException {
    this.socket = new Socket();
    socket.connect(new InetSocketAddress(InetAddress.getByName(uri.getHost()), uri.getPort()),
        readMillis);
    socket.setSoTimeout(readMillis);
    socket.setTcpNoDelay(true);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /** Returns a request head for {@code target} with a Host field and the given extra lines. */
  static String head(String method, String target, String... fields) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target)
        .append(" HTTP/1.1\r\nHost: localhost\r\n");
    for (String field : fields) {
      head.append(field).append("\r\n");
    }
    return head.append("\r\n").toString();
  }

  /** Writes {@code text} (ASCII) and flushes it. */
  void write(String text) throws IOException {
    write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Writes {@code bytes} and flushes them. */
  void write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads one response; its body is read by Content-Length, or up to the end of the stream. */
  Answer read() throws IOException {
    return read(false);
  }

  /** Reads the response to a HEAD request: header fields only, whatever Content-Length says. */
  Answer readHeadResponse() throws IOException {
    return read(true);
  }

  private Answer read(boolean head) throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new EOFException("the connection was closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not a status line: " + statusLine);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = line(); line != null && !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).strip());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String length = headers.get("content-length");
    if (head) {
      return new Answer(Integer.parseInt(parts[1]), headers, "");
    } else if (length != null) {
      body.write(in.readNBytes(Integer.parseInt(length)));
    } else if ("close".equalsIgnoreCase(headers.get("connection"))) {
      in.transferTo(body);
    }
    return new Answer(Integer.parseInt(parts[1]), headers,
        body.toString(StandardCharsets.UTF_8));
  }

  /** Returns true if the server closes the connection (end of stream or reset) before a byte. */
  boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true; // reset: closed too
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      int b = in.read();
      if (b < 0) {
        return line.length() == 0 ? null : line.toString();
      }
      if (b == '\n') {
        int end = line.length();
        return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1)
            : line.toString();
      }
      line.append((char) b);
    }
  }
}
