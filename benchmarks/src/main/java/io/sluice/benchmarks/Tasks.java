package io.sluice.benchmarks;

import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** Allocation-free tasks shared by the executor benchmarks. */
final class Tasks {
  static final Integer FORTY_TWO = 42;
  static final Callable<Integer> ANSWER = () -> FORTY_TWO;
  static final Supplier<Integer> ANSWER_SUPPLIER = () -> FORTY_TWO;
  static final Runnable NOTHING = () -> { };

  private Tasks() {}
}
