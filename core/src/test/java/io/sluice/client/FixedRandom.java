package io.sluice.client;

import java.util.random.RandomGenerator;

/** Random generators that always draw the same double, to make a probabilistic decision certain. */
final class FixedRandom {
  private FixedRandom() {}

  /** Returns a generator whose {@code nextDouble()} is always {@code value}. */
  static RandomGenerator always(double value) {
    return new RandomGenerator() {
      @Override
      public long nextLong() {
        throw new UnsupportedOperationException("only nextDouble is scripted");
      }

      @Override
      public double nextDouble() {
        return value;
      }
    };
  }
}
