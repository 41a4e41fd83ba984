package io.sluice.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * An async cycle driven by the test: {@link #complete()}, {@link #timeOut()} and
 * {@link #fail(Throwable)} call the listeners as a container does (after a timeout or an error
 * the container completes the cycle too, so those fire two events).
 */
final class FakeAsyncContext implements AsyncContext {
  private final ServletRequest request;
  private final ServletResponse response;
  final List<AsyncListener> listeners = new ArrayList<>();
  boolean completed;
  long timeout = 30_000;

  FakeAsyncContext(ServletRequest request, ServletResponse response) {
    this.request = request;
    this.response = response;
  }

  @Override
  public void complete() {
    completed = true;
    for (AsyncListener listener : List.copyOf(listeners)) {
      try {
        listener.onComplete(new AsyncEvent(this, request, response));
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** The timeout: onTimeout to every listener, then the container's completion. */
  void timeOut() throws IOException {
    for (AsyncListener listener : List.copyOf(listeners)) {
      listener.onTimeout(new AsyncEvent(this, request, response));
    }
    complete();
  }

  /** An error of the cycle: onError to every listener, then the container's completion. */
  void fail(Throwable failure) throws IOException {
    for (AsyncListener listener : List.copyOf(listeners)) {
      listener.onError(new AsyncEvent(this, request, response, failure));
    }
    complete();
  }

  /** A second async cycle: onStartAsync, and the listeners that do not re-add themselves go. */
  void restart() throws IOException {
    List<AsyncListener> last = List.copyOf(listeners);
    listeners.clear();
    for (AsyncListener listener : last) {
      listener.onStartAsync(new AsyncEvent(this, request, response));
    }
  }

  @Override
  public ServletRequest getRequest() {
    return request;
  }

  @Override
  public ServletResponse getResponse() {
    return response;
  }

  @Override
  public boolean hasOriginalRequestAndResponse() {
    return false;
  }

  @Override
  public void dispatch() {
    throw new UnsupportedOperationException();
  }

  @Override
  public void dispatch(String path) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void dispatch(ServletContext context, String path) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void start(Runnable run) {
    run.run();
  }

  @Override
  public void addListener(AsyncListener listener) {
    listeners.add(listener);
  }

  @Override
  public void addListener(AsyncListener listener, ServletRequest request,
      ServletResponse response) {
    listeners.add(listener);
  }

  @Override
  public <T extends AsyncListener> T createListener(Class<T> type) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void setTimeout(long timeout) {
    this.timeout = timeout;
  }

  @Override
  public long getTimeout() {
    return timeout;
  }
}
