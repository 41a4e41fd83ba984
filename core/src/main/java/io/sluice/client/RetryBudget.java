package io.sluice.client;

import io.sluice.internal.Args;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Caps retries at a fraction of requests, so that a failing downstream sees at most that much
 * extra load from this client (the Google SRE book's advice: retries under about 10% of requests).
 *
 * <p>A token bucket counted in requests: every request deposits {@code ratio} of a token, every
 * retry withdraws one whole token, and the balance never exceeds {@code burst} (it starts there,
 * so a quiet client can still retry its first few failures). The balance is kept in millionths of
 * a token and the ratio is rounded <em>down</em> to a whole millionth, {@code r = floor(ratio *
 * 10^6) / 10^6} (0.1234567 counts as 0.123456), so over any run retries {@code <= burst +
 * floor(r * requests) <= burst + ratio * requests}, exactly; a caller that retries whenever it
 * may gets the first bound.
 *
 * <pre>{@code
 * RetryBudget budget = RetryBudget.of(0.1, 10);
 * budget.onRequest();                 // once per logical request
 * if (failed && budget.tryRetry()) { ... retry ... }
 * }</pre>
 *
 * <p>Thread-safe and lock-free (a compare-and-set on one word; a failed CAS means another thread
 * deposited or withdrew), allocation-free; share one budget among all the calls to a downstream.
 */
public final class RetryBudget {
  private static final long UNIT = 1_000_000L;
  private static final VarHandle BALANCE;

  static {
    try {
      BALANCE = MethodHandles.lookup().findVarHandle(RetryBudget.class, "balance", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final long deposit;
  private final long capacity;
  private volatile long balance;

  private RetryBudget(long deposit, long capacity) {
    this.deposit = deposit;
    this.capacity = capacity;
    this.balance = capacity;
  }

  /**
   * Returns a full budget.
   *
   * @param ratio retries allowed per request, in [0.000001, 1]; the SRE book suggests 0.1
   * @param burst the most retries saved up, in [1, 1000000]; 10 is a good start
   */
  public static RetryBudget of(double ratio, int burst) {
    Args.inRange("ratio", ratio, 1.0 / UNIT, 1.0);
    Args.inRange("burst", burst, 1, 1_000_000);
    return new RetryBudget(millionthsRoundedDown(ratio), burst * UNIT);
  }

  /**
   * Returns the largest d with d / 10^6 &lt;= ratio. The product ratio * 10^6 may land a hair on
   * either side of a whole number (0.000249 * 10^6 is 248.99999999999997), so the floor is
   * corrected by comparing d / 10^6 with the ratio as the double the caller wrote.
   */
  private static long millionthsRoundedDown(double ratio) {
    long d = (long) Math.floor(ratio * UNIT);
    if ((double) (d + 1) / UNIT <= ratio) {
      d++;
    }
    while ((double) d / UNIT > ratio) {
      d--;
    }
    return d;
  }

  /** Records a request (a first attempt, not a retry): deposits {@code ratio} of a retry. */
  public void onRequest() {
    long current = balance;
    while (current < capacity) {
      long witness = (long) BALANCE.compareAndExchange(this, current,
          Math.min(capacity, current + deposit));
      if (witness == current) {
        return;
      }
      current = witness;
    }
  }

  /** Takes one retry from the budget if there is one; returns whether the retry may be made. */
  public boolean tryRetry() {
    long current = balance;
    while (current >= UNIT) {
      long witness = (long) BALANCE.compareAndExchange(this, current, current - UNIT);
      if (witness == current) {
        return true;
      }
      current = witness;
    }
    return false;
  }

  /** Returns the retries available now (fractional). */
  public double balance() {
    return (double) balance / UNIT;
  }

  @Override
  public String toString() {
    return "RetryBudget[ratio=" + (double) deposit / UNIT + ", burst=" + capacity / UNIT
        + ", balance=" + balance() + "]";
  }
}
