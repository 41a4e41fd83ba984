package io.sluice.fair;

import io.sluice.Limiter;
import io.sluice.NanoClock;
import io.sluice.internal.Args;
import java.util.function.ToIntFunction;

/**
 * Configures and builds a {@link FairShare} gate in front of a {@link Limiter}. Every setter checks
 * its argument at once and throws an {@link IllegalArgumentException} naming the parameter, the
 * value and the allowed range.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th></tr>
 *   <tr><td>{@link #weights}</td><td>every tenant weighs 1</td><td>[1, 1000000]</td></tr>
 *   <tr><td>{@link #reserve}</td><td>0.05 of the limit</td><td>[0, 0.5]</td></tr>
 *   <tr><td>{@link #maxTenants}</td><td>10000</td><td>[1, 1048576]</td></tr>
 *   <tr><td>{@link #clock}</td><td>{@link NanoClock#system()}</td><td></td></tr>
 * </table>
 *
 * <p>Not thread-safe; build on one thread, then share the gate.
 *
 * @param <K> the tenant key type
 */
public final class FairShareBuilder<K> {
  /** The largest weight of a tenant. */
  static final int MAX_WEIGHT = 1_000_000;
  /** The largest table of tenants. */
  static final int MAX_TENANTS = 1 << 20;

  final Limiter limiter;
  NanoClock clock = NanoClock.system();
  ToIntFunction<? super K> weigher;
  double reserve = 0.05;
  int maxTenants = 10_000;

  FairShareBuilder(Limiter limiter) {
    this.limiter = Args.notNull("limiter", limiter);
  }

  /**
   * Sets each tenant's weight: a tenant of weight 3 is entitled to three times the share of one
   * of weight 1. The function is called once when a tenant is first tracked (again if it was
   * evicted while idle), never on the hot path of a tracked tenant.
   *
   * @param weigher returns weights in [1, 1000000]
   */
  @SuppressWarnings("unchecked")
  public <K1 extends K> FairShareBuilder<K1> weights(ToIntFunction<? super K1> weigher) {
    FairShareBuilder<K1> self = (FairShareBuilder<K1>) this;
    self.weigher = Args.notNull("weigher", weigher);
    return self;
  }

  /**
   * Sets the reserve, as a fraction of the limit: the units a tenant borrowing beyond its share
   * leaves free for the tenants within theirs (all of it from twice its share up, in proportion
   * below). More reserve protects light tenants' bursts better; with a fixed limit, it also idles
   * up to that much capacity while a flood borrows. 0 turns borrowing into a race.
   *
   * @param fraction in [0, 0.5]
   */
  public FairShareBuilder<K> reserve(double fraction) {
    this.reserve = Args.inRange("reserve", fraction, 0.0, 0.5);
    return this;
  }

  /**
   * Sets how many tenants are tracked at once; beyond that, idle tenants are evicted and new
   * tenants share one overflow entry while every tracked tenant is active.
   *
   * @param max in [1, 1048576]
   */
  public FairShareBuilder<K> maxTenants(int max) {
    this.maxTenants = Args.inRange("maxTenants", max, 1, MAX_TENANTS);
    return this;
  }

  /** Sets the clock, read for claims and sweeps only; tests pass a {@code ManualClock}. */
  public FairShareBuilder<K> clock(NanoClock clock) {
    this.clock = Args.notNull("clock", clock);
    return this;
  }

  /** Builds the gate; it takes the limit from the limiter at every request. */
  @SuppressWarnings("unchecked")
  public <K1 extends K> FairShare<K1> build() {
    return new FairShareGate<>((FairShareBuilder<K1>) this);
  }
}
