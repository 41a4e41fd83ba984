package io.sluice.internal;

import static io.sluice.internal.PackedWindow.sum0;
import static io.sluice.internal.PackedWindow.sum1;
import static io.sluice.internal.PackedWindow.sum2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Workers;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The ring of packed counters behind the breaker's window and the adaptive throttle. */
class PackedWindowTest {

  @Test
  void sumsTheBucketsOfTheLastGenerationsOnly() {
    PackedWindow window = new PackedWindow(4);
    for (long generation = 0; generation < 10; generation++) {
      for (int i = 0; i <= generation; i++) {
        window.add(0, generation, 1, i % 2, i % 3 == 0 ? 1 : 0);
      }
    }

    long sums = window.sum(0, 9);
    // Generations 6..9 hold 7 + 8 + 9 + 10 calls.
    assertThat(sum0(sums)).isEqualTo(34);
    assertThat(sum1(sums)).isEqualTo(3 + 4 + 4 + 5);
    assertThat(sum2(sums)).isEqualTo(3 + 3 + 3 + 4);
    assertThat(sum0(window.sum(0, 11))).as("two generations later, 8 and 9 remain").isEqualTo(19);
    assertThat(sum0(window.sum(0, 13))).as("nothing left").isZero();
    assertThat(window.count0(0, 9)).isEqualTo(10);
    assertThat(window.count0(0, 5)).as("slot 1 holds generation 9, not 5").isZero();
    assertThat(window.count0(1, 9)).as("another epoch").isZero();
  }

  @Test
  void anotherEpochStartsEmptyAndOverwritesOldBuckets() {
    PackedWindow window = new PackedWindow(3);
    window.add(5, 7, 1, 1, 0);
    window.add(5, 8, 1, 1, 0);

    assertThat(sum0(window.sum(6, 8))).isZero();
    window.add(6, 8, 1, 0, 0);
    assertThat(sum0(window.sum(6, 8))).isEqualTo(1);
    assertThat(sum0(window.sum(5, 8))).as("epoch 5's bucket 8 was overwritten").isEqualTo(1);
  }

  @Test
  void anAddFromADelayedThreadIsDroppedOnceItsGenerationLeftTheWindow() {
    PackedWindow window = new PackedWindow(4);
    window.add(0, 104, 1, 0, 0);

    window.add(0, 100, 1, 1, 1);   // same slot, four generations older
    window.add(3, 104, 1, 0, 0);   // epoch 3 into a slot of epoch 0: an old epoch, overwritten

    assertThat(sum0(window.sum(0, 104))).as("the stale add did not touch it").isZero();
    assertThat(sum0(window.sum(3, 104))).isEqualTo(1);
    window.add(1, 104, 1, 0, 0);   // epoch 1 is older than 3: dropped
    assertThat(sum0(window.sum(3, 104))).isEqualTo(1);
  }

  @Test
  void aFullBucketHalvesItsCountsAndKeepsTheirRatio() {
    PackedWindow window = new PackedWindow(1);
    for (int i = 0; i < PackedWindow.MAX_COUNT; i++) {
      window.add(0, 0, 1, i % 4 == 0 ? 1 : 0, 0);
    }
    long full = window.sum(0, 0);
    assertThat(sum0(full)).isEqualTo(4095);
    assertThat(sum1(full)).isEqualTo(1024);

    window.add(0, 0, 1, 0, 1);

    long halved = window.sum(0, 0);
    assertThat(sum0(halved)).isEqualTo(2047 + 1);
    assertThat(sum1(halved)).isEqualTo(512);
    assertThat(sum2(halved)).isEqualTo(1);
  }

  @Test
  void concurrentAddsAreNeitherLostNorDoubled() throws Exception {
    PackedWindow window = new PackedWindow(8);
    int threads = 8;
    int perThread = 1_500;
    Workers.run(threads, worker -> {
      SplittableRandom random = new SplittableRandom(worker);
      for (int i = 0; i < perThread; i++) {
        // Four generations of about 3,000 adds each, far below the halving point at 4,095.
        window.add(2, 100 + random.nextInt(4), 1, 1, 0);
      }
    });

    long sums = window.sum(2, 103);
    assertThat(sum0(sums)).isEqualTo(threads * perThread);
    assertThat(sum1(sums)).isEqualTo(threads * perThread);
  }

  @Test
  void theBucketCountIsChecked() {
    assertThatThrownBy(() -> new PackedWindow(0)).hasMessage("buckets must be in [1, 255] but was 0");
    assertThat(new PackedWindow(255).buckets()).isEqualTo(255);
  }
}
