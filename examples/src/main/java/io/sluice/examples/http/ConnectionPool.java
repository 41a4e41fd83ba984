package io.sluice.examples.http;

import io.sluice.pool.PoolAdapter;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated database behind a bounded pool of connections: the backend both demo servers call.
 * A {@link Connection} is held for one query, whose service time is log-normal around a mean
 * (sigma 0.3, capped at three times the mean), so the pool serves at most {@link
 * #capacityPerSecond()} = connections / mean service time queries per second, whatever the number
 * of threads that ask.
 *
 * <p>A query waits with {@link LockSupport#parkNanos}: it holds its connection and its thread for
 * the service time without using a CPU, like a thread blocked on a socket to a real database, so
 * that on a small machine the CPUs stay free for the HTTP server and the load generator.
 *
 * <p>Thread-safe: any thread may borrow, query and give back. It is also the {@link PoolAdapter}
 * that a {@link io.sluice.pool.PoolGuard} wraps.
 */
public final class ConnectionPool implements PoolAdapter<ConnectionPool.Connection> {
  /** The spread of the log-normal service time. */
  static final double SIGMA = 0.3;
  /** Service times are capped at this multiple of the mean, so every query ends in bounded time. */
  static final int MAX_SERVICE_MULTIPLE = 3;

  private final ArrayBlockingQueue<Connection> idle;
  private final int size;
  private final long meanServiceNanos;
  private final double mu;

  private ConnectionPool(int size, long meanServiceNanos) {
    this.size = size;
    this.meanServiceNanos = meanServiceNanos;
    this.mu = Math.log(meanServiceNanos) - SIGMA * SIGMA / 2;
    this.idle = new ArrayBlockingQueue<>(size);
    for (int i = 0; i < size; i++) {
      idle.add(new Connection(i));
    }
  }

  /**
   * Returns a pool of {@code connections} connections whose queries take {@code meanServiceTime}
   * on average.
   *
   * @param connections in [1, 10000]
   * @param meanServiceTime in [100 us, 10 s]
   * @throws IllegalArgumentException if an argument is out of range
   */
  public static ConnectionPool create(int connections, Duration meanServiceTime) {
    Checks.inRange("connections", connections, 1, 10_000);
    long mean = Checks.inRange("meanServiceTime", meanServiceTime, Duration.ofNanos(100_000),
        Duration.ofSeconds(10));
    return new ConnectionPool(connections, mean);
  }

  /** Waits at most {@code timeoutNanos} for a free connection; returns null if none came in time. */
  @Override
  public Connection borrow(long timeoutNanos) throws InterruptedException {
    return idle.poll(timeoutNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Returns a connection to the pool.
   *
   * @throws IllegalArgumentException if the connection belongs to another pool
   */
  @Override
  public void giveBack(Connection connection) {
    if (connection == null || connection.pool() != this) {
      throw new IllegalArgumentException("connection must belong to this pool but was " + connection);
    }
    idle.add(connection);
  }

  /** Returns the number of connections. */
  public int size() {
    return size;
  }

  /** Returns the number of connections not borrowed right now. */
  public int idle() {
    return idle.size();
  }

  /** Returns the mean service time of a query. */
  public Duration meanServiceTime() {
    return Duration.ofNanos(meanServiceNanos);
  }

  /** Returns the longest a query can take: {@value #MAX_SERVICE_MULTIPLE} times the mean. */
  public Duration maxServiceTime() {
    return Duration.ofNanos(meanServiceNanos * MAX_SERVICE_MULTIPLE);
  }

  /** Returns the most queries per second the pool can serve: connections / mean service time. */
  public double capacityPerSecond() {
    return size * 1e9 / meanServiceNanos;
  }

  @Override
  public String toString() {
    return "ConnectionPool[" + size + " connections, mean service " + meanServiceNanos / 1e6
        + " ms, capacity " + Math.round(capacityPerSecond()) + "/s]";
  }

  private long sampleServiceNanos() {
    double nanos = Math.exp(mu + SIGMA * ThreadLocalRandom.current().nextGaussian());
    return Math.min((long) nanos, meanServiceNanos * MAX_SERVICE_MULTIPLE);
  }

  /** One connection of the pool; use it between {@link #borrow} and {@link #giveBack}. */
  public final class Connection {
    private final int id;

    private Connection(int id) {
      this.id = id;
    }

    /**
     * Runs one query: holds the connection and the calling thread for a sampled service time.
     *
     * @throws InterruptedException if the thread is interrupted; the query is abandoned
     */
    public void query() throws InterruptedException {
      long end = System.nanoTime() + sampleServiceNanos();
      for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          throw new InterruptedException("query abandoned on connection " + id);
        }
      }
    }

    ConnectionPool pool() {
      return ConnectionPool.this;
    }

    @Override
    public String toString() {
      return "Connection[" + id + "]";
    }
  }
}
