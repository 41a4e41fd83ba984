package io.sluice.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The pool of free listeners: a slot serves its owner thread only; a thread whose slot another
 * live thread owns neither takes nor gives; a terminated owner's slot is adopted. The threads that
 * share a slot are made by creating threads until one's id lands on the slot (ids are given at
 * construction, so the unused ones never start).
 */
class ListenerPoolTest {
  private static final int SLOTS = 4;
  private final ListenerPool pool = new ListenerPool(SLOTS);

  @Test
  void aThreadTakesBackWhatItGaveOnce() {
    AdmittedCall.Listener<?> listener = new AdmittedCall.Listener<>();
    assertThat(pool.take()).as("empty").isNull();
    pool.give(listener);
    assertThat(pool.take()).isSameAs(listener);
    assertThat(pool.take()).isNull();
  }

  @Test
  void aThreadWhoseSlotALiveThreadOwnsNeitherTakesNorGives() throws Exception {
    AdmittedCall.Listener<?> mine = new AdmittedCall.Listener<>();
    AdmittedCall.Listener<?> theirs = new AdmittedCall.Listener<>();
    CountDownLatch given = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Object> ownerTook = new AtomicReference<>();
    Thread owner = new Thread(() -> {
      pool.give(mine);
      given.countDown();
      await(done);
      ownerTook.set(pool.take());
    });
    owner.start();
    given.await();

    AtomicReference<Object> otherTook = new AtomicReference<>("not run");
    Thread other = sharingSlotWith(owner, () -> {
      pool.give(theirs);
      otherTook.set(pool.take());
    });
    other.start();
    other.join();
    done.countDown();
    owner.join();

    assertThat(otherTook.get()).as("the other thread's take").isNull();
    assertThat(ownerTook.get()).as("the owner's take").isSameAs(mine);
  }

  @Test
  void theSlotOfATerminatedOwnerIsAdopted() throws Exception {
    AdmittedCall.Listener<?> left = new AdmittedCall.Listener<>();
    AdmittedCall.Listener<?> given = new AdmittedCall.Listener<>();
    Thread owner = new Thread(() -> pool.give(left));
    owner.start();
    owner.join();

    AtomicReference<Object> first = new AtomicReference<>("not run");
    AtomicReference<Object> second = new AtomicReference<>("not run");
    Thread heir = sharingSlotWith(owner, () -> {
      first.set(pool.take()); // not its slot yet
      pool.give(given);
      second.set(pool.take());
    });
    heir.start();
    heir.join();

    assertThat(first.get()).isNull();
    assertThat(second.get()).isSameAs(given);
  }

  /** Returns an unstarted thread whose id lands on the same slot as {@code thread}'s. */
  private static Thread sharingSlotWith(Thread thread, Runnable body) {
    for (int i = 0; i < 100 * SLOTS; i++) {
      Thread candidate = new Thread(body);
      if ((candidate.getId() - thread.getId()) % SLOTS == 0) {
        return candidate;
      }
    }
    throw new AssertionError("no thread id landed on the slot");
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
