package io.sluice.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A request in memory: a path, header lines, a peer, attributes and an async cycle. */
final class FakeRequest extends HttpServletRequestWrapper {
  private final String uri;
  private final Map<String, List<String>> headers = new LinkedHashMap<>();
  private final Map<String, Object> attributes = new HashMap<>();
  String remoteAddr = "127.0.0.1";
  DispatcherType dispatcherType = DispatcherType.REQUEST;
  FakeAsyncContext async;

  FakeRequest(String uri) {
    super(Unsupported.of(HttpServletRequest.class));
    this.uri = uri;
  }

  /** Adds a line of a header field. */
  FakeRequest header(String name, String value) {
    headers.computeIfAbsent(name.toLowerCase(), n -> new ArrayList<>()).add(value);
    return this;
  }

  FakeRequest from(String address) {
    remoteAddr = address;
    return this;
  }

  @Override
  public String getRequestURI() {
    return uri;
  }

  @Override
  public String getHeader(String name) {
    List<String> lines = headers.get(name.toLowerCase());
    return lines == null ? null : lines.get(0);
  }

  @Override
  public Enumeration<String> getHeaders(String name) {
    return Collections.enumeration(headers.getOrDefault(name.toLowerCase(), List.of()));
  }

  @Override
  public String getRemoteAddr() {
    return remoteAddr;
  }

  @Override
  public DispatcherType getDispatcherType() {
    return dispatcherType;
  }

  @Override
  public Object getAttribute(String name) {
    return attributes.get(name);
  }

  @Override
  public void setAttribute(String name, Object value) {
    attributes.put(name, value);
  }

  @Override
  public boolean isAsyncStarted() {
    return async != null && !async.completed;
  }

  @Override
  public AsyncContext getAsyncContext() {
    if (!isAsyncStarted()) {
      throw new IllegalStateException("not async");
    }
    return async;
  }

  @Override
  public AsyncContext startAsync() {
    return startAsync(this, null);
  }

  @Override
  public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
    async = new FakeAsyncContext(request, response);
    return async;
  }
}
