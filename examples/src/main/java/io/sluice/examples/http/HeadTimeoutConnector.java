package io.sluice.examples.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A connector that bounds the time a client may take to send a request head (request line and
 * header fields): from the first byte of a head, the whole head must arrive within the timeout,
 * or the client is answered {@code 408 Request Timeout} and the connection is closed.
 *
 * <p>Jetty parses heads without holding a thread, so a slow client costs a connection and a
 * buffer, never a request thread; its idle timeout, though, restarts with every byte, and a client
 * sending one byte per second would keep its connection forever. This deadline does not restart.
 * A connection waiting for its next request, with no byte of it yet, is not timed here: the idle
 * timeout closes it.
 *
 * <p>Design: each endpoint keeps one {@link AtomicLong}, {@code head << 2 | phase}, where
 * {@code head} counts the heads begun on the connection and {@code phase} is AWAITING (no byte of
 * the next head yet), READING (a head begun: its deadline is scheduled), HANDLING (the head was
 * complete and a handler runs) or TIMED_OUT. Three parties move it, each by compare-and-set, so
 * that exactly one of a racing pair wins: the filling thread (AWAITING to READING, on bytes), the
 * {@link Guard} handler (READING or AWAITING to HANDLING when a handler starts, and back to
 * AWAITING when the exchange is done) and the scheduled deadline (READING to TIMED_OUT, only for
 * the head it was scheduled for). A deadline that loses to the handler does nothing; a handler that
 * loses to the deadline abandons the request, whose connection is being closed. Whether a head is
 * complete is read from the connection's count of parsed heads ({@code getMessagesIn()}), which
 * Jetty raises as soon as it has parsed one: a head that Jetty answers itself (an ambiguous URI,
 * say) never reaches a handler, and a complete head waiting for a front thread is not late.
 *
 * <p>Thread-safe. Install {@link #guard()} as the outermost handler of the server.
 */
final class HeadTimeoutConnector extends ServerConnector {
  private static final long AWAITING = 0;
  private static final long READING = 1;
  private static final long HANDLING = 2;
  private static final long TIMED_OUT = 3;
  private static final long PHASE = 3;

  private static final byte[] REQUEST_TIMEOUT = ("HTTP/1.1 408 Request Timeout\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 31\r\n"
      + "Connection: close\r\n\r\nrequest head not read in time\r\n")
      .getBytes(StandardCharsets.US_ASCII);

  private final long timeoutNanos;

  /** Creates a connector with one acceptor and one selector whose heads have {@code timeout}. */
  HeadTimeoutConnector(Server server, long timeoutNanos, ConnectionFactory factory) {
    super(server, 1, 1, factory);
    this.timeoutNanos = timeoutNanos;
  }

  /** Returns the handler that tells each connection when its head is complete and answered. */
  static Handler.Wrapper guard() {
    return new Guard();
  }

  @Override
  protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector,
      SelectionKey key) throws IOException {
    TimedEndPoint endPoint = new TimedEndPoint(channel, selector, key, getScheduler());
    endPoint.setIdleTimeout(getIdleTimeout());
    return endPoint;
  }

  /** A socket endpoint that notices the first byte of each head and schedules its deadline. */
  private final class TimedEndPoint extends SocketChannelEndPoint {
    private final AtomicLong state = new AtomicLong(AWAITING);
    private final Scheduler scheduler;
    private volatile Scheduler.Task deadline;
    /** The connection's complete heads when the current one began; written by the filler. */
    private volatile long headsAtStart;

    TimedEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key,
        Scheduler scheduler) {
      super(channel, selector, key, scheduler);
      this.scheduler = scheduler;
    }

    @Override
    public int fill(ByteBuffer buffer) throws IOException {
      int filled = super.fill(buffer);
      if (filled > 0) {
        long s = state.get();
        long phase = s & PHASE;
        long heads = getConnection().getMessagesIn();
        // A byte while AWAITING begins a head; so does one while READING if the head being read
        // has meanwhile been completed and answered by Jetty itself, without a handler.
        if (phase == AWAITING || phase == READING && heads != headsAtStart) {
          long reading = ((s >>> 2) + 1) << 2 | READING;
          if (state.compareAndSet(s, reading)) {
            headsAtStart = heads;
            deadline = scheduler.schedule(() -> expire(reading), timeoutNanos,
                TimeUnit.NANOSECONDS);
          }
        }
      }
      return filled;
    }

    /** Returns false if the head had already timed out (the request must be abandoned). */
    boolean headComplete() {
      while (true) {
        long s = state.get();
        if ((s & PHASE) == TIMED_OUT) {
          return false;
        }
        if (state.compareAndSet(s, (s & ~PHASE) | HANDLING)) {
          Scheduler.Task task = deadline;
          if (task != null) {
            task.cancel();
          }
          return true;
        }
      }
    }

    /** Called when the exchange is complete: the next byte begins the next head. */
    void exchangeComplete() {
      long s = state.get();
      if ((s & PHASE) == HANDLING) {
        state.compareAndSet(s, (s & ~PHASE) | AWAITING);
      }
    }

    private void expire(long reading) {
      if (getConnection().getMessagesIn() != headsAtStart) {
        // The head was complete in time: Jetty answered it itself (400, 414, 431), or a front
        // thread will run its handler. The next byte begins the next head.
        state.compareAndSet(reading, (reading & ~PHASE) | AWAITING);
      } else if (state.compareAndSet(reading, (reading & ~PHASE) | TIMED_OUT)) {
        write(Callback.from(this::close, failure -> close()), ByteBuffer.wrap(REQUEST_TIMEOUT));
      }
    }
  }

  /** Reports head completion and exchange completion to the connection's endpoint. */
  private static final class Guard extends Handler.Wrapper {
    @Override
    public boolean handle(Request request, Response response, Callback callback)
        throws Exception {
      EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
      if (endPoint instanceof TimedEndPoint) {
        TimedEndPoint timed = (TimedEndPoint) endPoint;
        if (!timed.headComplete()) {
          callback.failed(new IOException("request head timed out"));
          return true;
        }
        Request.addCompletionListener(request, failure -> timed.exchangeComplete());
      }
      return super.handle(request, response, callback);
    }
  }
}
