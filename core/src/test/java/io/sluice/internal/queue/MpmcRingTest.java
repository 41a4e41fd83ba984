package io.sluice.internal.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Sequential behaviour of the ring against a reference deque, and many-thread delivery. */
class MpmcRingTest {

  @Test
  void roundsCapacityUpToAPowerOfTwoAndRejectsBadOnes() {
    assertThat(new MpmcRing<Integer>(2).capacity()).isEqualTo(2);
    assertThat(new MpmcRing<Integer>(3).capacity()).isEqualTo(4);
    assertThat(new MpmcRing<Integer>(1000).capacity()).isEqualTo(1024);
    assertThatThrownBy(() -> new MpmcRing<Integer>(1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("minCapacity must be in [2, 1073741824] but was 1");
    assertThatThrownBy(() -> new MpmcRing<Integer>(4).offer(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("element must not be null");
  }

  @Test
  void isFifoRefusesWhenFullAndReportsEmpty() {
    MpmcRing<Integer> ring = new MpmcRing<>(4);
    assertThat(ring.poll()).isNull();
    for (int i = 0; i < 4; i++) {
      assertThat(ring.offer(i)).isTrue();
    }
    assertThat(ring.offer(99)).isFalse();
    assertThat(ring.size()).isEqualTo(4);
    assertThat(ring.poll()).isEqualTo(0);
    assertThat(ring.offer(4)).isTrue();
    assertThat(ring.poll()).isEqualTo(1);
    assertThat(ring.poll()).isEqualTo(2);
    assertThat(ring.poll()).isEqualTo(3);
    assertThat(ring.poll()).isEqualTo(4);
    assertThat(ring.poll()).isNull();
    assertThat(ring.isEmpty()).isTrue();
  }

  /** Seeded random sequences of offer and poll, over many laps, agree with a bounded ArrayDeque. */
  @Test
  void agreesWithABoundedReferenceQueueOverManyLaps() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 200; round++) {
      int capacity = 2 << random.nextInt(4);
      MpmcRing<Integer> ring = new MpmcRing<>(capacity);
      ArrayDeque<Integer> reference = new ArrayDeque<>();
      for (int op = 0; op < 500; op++) {
        if (random.nextInt(100) < 55) {
          boolean accepted = reference.size() < capacity;
          if (accepted) {
            reference.addLast(op);
          }
          assertThat(ring.offer(op)).as("round %d op %d", round, op).isEqualTo(accepted);
        } else {
          assertThat(ring.poll()).as("round %d op %d", round, op).isEqualTo(reference.pollFirst());
        }
        assertThat(ring.size()).isEqualTo(reference.size());
      }
    }
  }

  /**
   * Four producers and four consumers through a small ring (so it is often full and often empty):
   * every element is delivered exactly once, and each producer's elements arrive in its order at
   * every consumer.
   */
  @Test
  void manyProducersManyConsumersDeliverEveryElementExactlyOnce() throws InterruptedException {
    int producers = 4;
    int consumers = 4;
    int perProducer = 100_000;
    int total = producers * perProducer;
    MpmcRing<Integer> ring = new MpmcRing<>(16);
    BitSet[] seen = new BitSet[consumers];
    AtomicInteger delivered = new AtomicInteger();
    AtomicReference<String> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(producers + consumers);
    for (int p = 0; p < producers; p++) {
      int producer = p;
      new Thread(() -> {
        await(start);
        for (int i = 0; i < perProducer; i++) {
          Integer element = producer * perProducer + i;
          while (!ring.offer(element)) {
            Thread.onSpinWait();
          }
        }
        done.countDown();
      }, "producer-" + p).start();
    }
    for (int c = 0; c < consumers; c++) {
      BitSet mine = new BitSet(total);
      seen[c] = mine;
      new Thread(() -> {
        await(start);
        int[] lastOfProducer = {-1, -1, -1, -1};
        while (delivered.get() < total) {
          Integer element = ring.poll();
          if (element == null) {
            Thread.onSpinWait();
            continue;
          }
          int producer = element / perProducer;
          if (element <= lastOfProducer[producer]) {
            failure.compareAndSet(null, "out of order: " + element + " after "
                + lastOfProducer[producer]);
          }
          lastOfProducer[producer] = element;
          mine.set(element);
          delivered.incrementAndGet();
        }
        done.countDown();
      }, "consumer-" + c).start();
    }
    start.countDown();
    assertThat(done.await(2, TimeUnit.MINUTES)).as("threads finished").isTrue();

    assertThat(failure.get()).isNull();
    assertThat(delivered.get()).isEqualTo(total);
    BitSet union = new BitSet(total);
    int sum = 0;
    for (BitSet s : seen) {
      sum += s.cardinality();
      union.or(s);
    }
    assertThat(sum).as("deliveries (a duplicate would make it larger)").isEqualTo(total);
    assertThat(union.cardinality()).as("distinct elements delivered").isEqualTo(total);
    assertThat(ring.poll()).isNull();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
