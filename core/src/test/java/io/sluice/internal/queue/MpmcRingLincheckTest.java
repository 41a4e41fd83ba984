package io.sluice.internal.queue;

import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.annotations.Param;
import org.jetbrains.kotlinx.lincheck.paramgen.IntGen;
import org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingOptions;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of the ring with Lincheck: concurrent scenarios of offer and poll on a ring of
 * capacity 2 (so "full" and "empty" are both reached), checked against the ring's own sequential
 * behaviour, which {@link MpmcRingTest} checks against a bounded ArrayDeque. The model-checking
 * strategy explores thread interleavings at every shared-memory access; the stress strategy runs
 * the scenarios on real threads. The budgets are small to keep the suite fast on two cores, yet
 * enough: a poll that answers "empty" while a producer is between its claim and its publication
 * (the window the ring must wait out) is reported within the first iterations.
 */
@Param(name = "element", gen = IntGen.class, conf = "1:9")
@Tag("model-check")
public class MpmcRingLincheckTest {
  private final MpmcRing<Integer> ring = new MpmcRing<>(2);

  /** Lincheck operation. */
  @Operation
  public boolean offer(@Param(name = "element") int element) {
    return ring.offer(element);
  }

  /** Lincheck operation. */
  @Operation
  public Integer poll() {
    return ring.poll();
  }

  /** About 65 s alone on two quiet cores (the agent instruments the classes first): more room. */
  @Test
  @Timeout(300)
  void isLinearizableUnderModelChecking() {
    ModelCheckingOptions options = new ModelCheckingOptions()
        .iterations(5)
        .invocationsPerIteration(200)
        .threads(3)
        .actorsPerThread(3);
    LinChecker.check(MpmcRingLincheckTest.class, options);
  }

  @Test
  void isLinearizableUnderStress() {
    StressOptions options = new StressOptions()
        .iterations(5)
        .invocationsPerIteration(200)
        .threads(3)
        .actorsPerThread(3);
    LinChecker.check(MpmcRingLincheckTest.class, options);
  }
}
