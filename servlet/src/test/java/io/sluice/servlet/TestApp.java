package io.sluice.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The application behind the filter in the real-server tests: what a request does is named by
 * the last segment of its path. Requests that must really be in flight wait on latches the test
 * opens, or for a bounded real duration ({@link #SLOW_MILLIS}) on a latch that {@link #close()}
 * opens so that nothing outlives the test.
 */
final class TestApp extends HttpServlet implements AutoCloseable {
  private static final long serialVersionUID = 1L;
  static final long SLOW_MILLIS = 2;
  /**
   * Not shorter: Jetty 12.1 schedules the timeout before it records the task, and a timer that
   * fires in between is ignored, so a cycle whose thread stalls that long (a loaded machine, a GC
   * pause) is never timed out and its request stays open.
   */
  static final long ASYNC_TIMEOUT_MILLIS = 250;
  private static final byte[] CHUNK = new byte[16 * 1024];

  /** Every call of the application (the filter let the request through). */
  final AtomicLong calls = new AtomicLong();
  /**
   * The async cycles left to time out that the container has not ended yet, with what they were
   * admitted as: a permit held for one of these is held because the request is still open.
   */
  final transient Map<AsyncContext, String> unended = new ConcurrentHashMap<>();
  /** Released once by each request that reached {@code hold}. */
  final Semaphore holding = new Semaphore(0);
  private final transient ExecutorService workers = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "test-app-worker");
    t.setDaemon(true);
    return t;
  });
  private final transient CountDownLatch closed = new CountDownLatch(1);
  private transient volatile CountDownLatch gate = new CountDownLatch(1);

  /** Lets every request waiting in {@code hold} go, and holds the next ones. */
  void openGate() {
    CountDownLatch open = gate;
    gate = new CountDownLatch(1);
    open.countDown();
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws ServletException, IOException {
    calls.incrementAndGet();
    String path = request.getRequestURI();
    String kind = path.substring(path.lastIndexOf('/') + 1);
    switch (kind) {
      case "fast":
      case "health":
        ok(response);
        break;
      case "slow":
        pause(SLOW_MILLIS);
        ok(response);
        break;
      case "hold":
        CountDownLatch waitFor = gate;
        holding.release();
        await(waitFor, 30_000);
        ok(response);
        break;
      case "async": {
        AsyncContext async = request.startAsync();
        workers.execute(() -> {
          try {
            ok((HttpServletResponse) async.getResponse());
          } catch (IOException | RuntimeException clientGone) {
            // the completion below still ends the cycle
          }
          async.complete();
        });
        break;
      }
      case "async-timeout": {
        AsyncContext async = request.startAsync();
        async.setTimeout(ASYNC_TIMEOUT_MILLIS); // never completed by the app
        unended.put(async, String.valueOf(TrackingLimiter.LABEL.get()));
        async.addListener(new Unended(async));
        break;
      }
      case "throw":
        throw new IllegalStateException("the application failed");
      case "throw-timeout":
        throw new ServletException(new TimeoutException("a backend timed out"));
      case "abort":
        streamUntilTheClientLeaves(response);
        break;
      default:
        if (kind.matches("[1-5][0-9][0-9]")) {
          response.setStatus(Integer.parseInt(kind));
        } else {
          response.sendError(404);
        }
    }
  }

  /** Writes chunks until a write fails (the client left), at most about a second long. */
  private void streamUntilTheClientLeaves(HttpServletResponse response) throws IOException {
    ServletOutputStream out = response.getOutputStream();
    for (int i = 0; i < 1_000; i++) {
      out.write(CHUNK);
      out.flush();
      pause(1);
    }
  }

  private static void ok(HttpServletResponse response) throws IOException {
    response.setContentType("text/plain");
    response.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
  }

  /** Keeps the request in flight for a bounded real duration (less once the test is over). */
  private void pause(long millis) {
    await(closed, millis);
  }

  private static void await(CountDownLatch latch, long millis) {
    try {
      latch.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Forgets a cycle once the container ends it. */
  private final class Unended implements AsyncListener {
    private final AsyncContext async;

    Unended(AsyncContext async) {
      this.async = async;
    }

    @Override
    public void onComplete(AsyncEvent event) {
      unended.remove(async);
    }

    @Override
    public void onTimeout(AsyncEvent event) {}

    @Override
    public void onError(AsyncEvent event) {}

    @Override
    public void onStartAsync(AsyncEvent event) {}
  }

  @Override
  public void close() {
    closed.countDown();
    gate.countDown();
    workers.shutdownNow();
  }
}
