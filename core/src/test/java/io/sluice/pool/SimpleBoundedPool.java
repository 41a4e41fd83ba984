package io.sluice.pool;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A simple bounded resource pool, as a stand-in for a JDBC or HTTP connection pool, and the few
 * lines of {@link PoolAdapter} that put a {@link PoolGuard} in front of it.
 */
final class SimpleBoundedPool<R> {
  private final BlockingQueue<R> idle;

  SimpleBoundedPool(int size, IntFunction<R> factory) {
    this.idle = new ArrayBlockingQueue<>(size);
    for (int i = 0; i < size; i++) {
      idle.add(factory.apply(i));
    }
  }

  /** Waits up to the timeout for an idle resource; null if none came. */
  R take(long timeout, TimeUnit unit) throws InterruptedException {
    return idle.poll(timeout, unit);
  }

  void put(R resource) {
    if (!idle.offer(resource)) {
      throw new IllegalStateException("returned more resources than the pool holds: " + resource);
    }
  }

  int idle() {
    return idle.size();
  }

  /** The adapter: three methods of the pool. */
  PoolAdapter<R> adapter() {
    return new PoolAdapter<>() {
      @Override
      public R borrow(long timeoutNanos) throws InterruptedException {
        return take(timeoutNanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void giveBack(R resource) {
        put(resource);
      }
    };
  }
}
