package io.sluice.internal;

import java.util.function.Function;

/**
 * Hands the metrics package the probe of a public guard class without a public method on the guard
 * (the JDK's "shared secrets" idiom): the guard's class initialiser registers how to reach its
 * probe, and a caller holding an instance has, by then, initialised the class. Not part of the API.
 */
public final class ProbeAccess {
  private static volatile Function<Object, PoolGuardProbe> poolGuards;

  private ProbeAccess() {}

  /** Called once, by {@code PoolGuard}'s class initialiser. */
  public static void registerPoolGuards(Function<Object, PoolGuardProbe> access) {
    poolGuards = access;
  }

  /** Returns the probe of a {@code PoolGuard} instance. */
  public static PoolGuardProbe poolGuard(Object guard) {
    return poolGuards.apply(guard);
  }
}
