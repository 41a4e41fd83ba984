package io.sluice.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The event loop: time order, ties in scheduling order, the clock at each event's time. */
class EventLoopTest {

  @Test
  void runsEventsInTimeOrderAndTiesInSchedulingOrderWithTheClockAtEachEvent() {
    EventLoop loop = new EventLoop();
    List<String> seen = new ArrayList<>();
    loop.at(30, () -> seen.add("c@" + loop.clock().nanoTime()));
    loop.at(10, () -> seen.add("a@" + loop.clock().nanoTime()));
    loop.at(20, () -> {
      seen.add("b@" + loop.nanos());
      loop.after(0, () -> seen.add("b2@" + loop.nanos()));
      loop.after(5, () -> seen.add("b3@" + loop.nanos()));
    });
    loop.at(20, () -> seen.add("tie@" + loop.nanos()));

    loop.runUntil(25);
    assertThat(seen).containsExactly("a@10", "b@20", "tie@20", "b2@20", "b3@25");
    assertThat(loop.pending()).isEqualTo(1);
    loop.runAll();
    assertThat(seen).endsWith("c@30");
    assertThat(loop.pending()).isZero();
  }

  @Test
  void manyRandomEventsComeOutSorted() {
    EventLoop loop = new EventLoop();
    SplittableRandom random = new SplittableRandom(1);
    long[] last = {-1};
    int[] count = {0};
    for (int i = 0; i < 10_000; i++) {
      loop.at(random.nextLong(1_000_000), () -> {
        assertThat(loop.nanos()).isGreaterThanOrEqualTo(last[0]);
        last[0] = loop.nanos();
        count[0]++;
      });
    }
    loop.runAll();
    assertThat(count[0]).isEqualTo(10_000);
  }

  @Test
  void thePastCannotBeScheduled() {
    EventLoop loop = new EventLoop();
    loop.at(100, () -> { });
    loop.runAll();
    assertThatThrownBy(() -> loop.at(99, () -> { }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nanos must be in [100, " + Long.MAX_VALUE + "] but was 99");
    assertThatThrownBy(() -> loop.after(-1, () -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delayNanos");
  }
}
