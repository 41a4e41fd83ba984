package io.sluice.examples.llm;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

/*
 * Continuous batching, as inference servers such as vLLM schedule a GPU, without a clock: the
 * caller times each step (the real-time SimulatedModel sleeps it, the capacity sweep adds it to
 * virtual time).
 *
 * A step: (1) drop cancelled sequences; (2) make room for every running sequence's next token:
 * while the KV cache cannot take one more token per running sequence, preempt the one admitted
 * last (its cache is freed and it goes back to the head of the queue, to be prefilled again,
 * prompt and tokens so far, when it is readmitted: vLLM's "recompute" preemption); (3) admit
 * waiting sequences first come, first served, while the head's prompt (and any tokens it had
 * before a preemption), plus one token for every sequence in the batch, fits under the cache
 * less a watermark of 1%: a sequence that does not fit waits, and nothing behind it jumps the
 * queue; (4) the step takes stepBase + stepPerSequence * batch + prefillPerToken * prefilled.
 * At its end every running sequence gains one token (a newly admitted one its first), and those
 * that reached their length finish and free their cache.
 *
 * Single-threaded: only the owner's thread calls it.
 */
final class BatchEngine {
  /** The share of the KV cache that admissions leave free, so that growth rarely preempts. */
  static final double WATERMARK = 0.01;

  private final ModelConfig config;
  private final long kvCapacity;
  private final long watermark;
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
  private final List<Sequence> running = new ArrayList<>();
  private long kvUsed;
  private boolean inStep;

  private long steps;
  private long tokens;
  private long preemptions;
  private long finished;
  private long cancelled;
  private long prefilledTokens;

  BatchEngine(ModelConfig config) {
    this.config = config;
    this.kvCapacity = config.kvCacheTokens();
    this.watermark = (long) Math.ceil(kvCapacity * WATERMARK);
  }

  /** Queues a sequence; it joins the batch at a later step, when it fits. */
  void submit(Sequence sequence) {
    if ((long) sequence.promptTokens() + sequence.maxTokens() > config.contextTokens()) {
      throw new IllegalArgumentException("prompt + max_tokens must be at most the context of "
          + config.contextTokens() + " tokens but was " + sequence.promptTokens() + " + "
          + sequence.maxTokens());
    }
    waiting.addLast(sequence);
  }

  /**
   * Plans the next step, which begins at {@code nowNanos}: drops cancelled sequences, preempts
   * and admits. Returns the step's duration in nanoseconds, or 0 if there is nothing to run (then
   * no step is in progress).
   */
  long beginStep(long nowNanos) {
    if (inStep) {
      throw new IllegalStateException("a step is in progress");
    }
    dropCancelled();
    while (kvUsed + running.size() > kvCapacity && running.size() > 1) {
      preempt(running.remove(running.size() - 1));
    }
    long prefill = 0;
    while (!waiting.isEmpty() && running.size() < config.maxBatch()) {
      Sequence head = waiting.peekFirst();
      long need = (long) head.promptTokens() + head.generated;
      boolean fits = kvUsed + need + running.size() + 1 <= kvCapacity - watermark;
      if (!fits && !running.isEmpty()) {
        break;
      }
      waiting.pollFirst();
      head.running = true;
      if (head.joinedNanos == 0) {
        head.joinedNanos = nowNanos;
      }
      head.kvHeld = need;
      kvUsed += need;
      prefill += need;
      running.add(head);
    }
    if (running.isEmpty()) {
      return 0;
    }
    inStep = true;
    prefilledTokens += prefill;
    return config.stepNanos(running.size(), prefill);
  }

  /** Ends the step that {@link #beginStep(long)} planned: one token for every running sequence. */
  void endStep() {
    if (!inStep) {
      throw new IllegalStateException("no step is in progress");
    }
    inStep = false;
    steps++;
    int kept = 0;
    for (int i = 0; i < running.size(); i++) {
      Sequence s = running.get(i);
      s.generated++;
      s.kvHeld++;
      kvUsed++;
      tokens++;
      if (s.generated >= s.answerTokens()) {
        kvUsed -= s.kvHeld;
        s.kvHeld = 0;
        s.running = false;
        s.done = true;
        finished++;
      } else {
        running.set(kept++, s);
      }
      if (!s.cancelled()) {
        s.listener().onToken(s);
        if (s.done) {
          s.listener().onFinish(s);
        }
      }
    }
    running.subList(kept, running.size()).clear();
  }

  /** Tells every waiting sequence that it still waits (see {@link TokenListener#onWaiting}). */
  void forEachWaiting(Consumer<Sequence> action) {
    for (Sequence s : waiting) {
      if (!s.cancelled()) {
        action.accept(s);
      }
    }
  }

  private void dropCancelled() {
    for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
      if (it.next().cancelled()) {
        it.remove();
        cancelled++;
      }
    }
    int kept = 0;
    for (int i = 0; i < running.size(); i++) {
      Sequence s = running.get(i);
      if (s.cancelled()) {
        kvUsed -= s.kvHeld;
        s.kvHeld = 0;
        s.running = false;
        cancelled++;
      } else {
        running.set(kept++, s);
      }
    }
    running.subList(kept, running.size()).clear();
  }

  private void preempt(Sequence s) {
    kvUsed -= s.kvHeld;
    s.kvHeld = 0;
    s.running = false;
    s.preempted = true;
    preemptions++;
    waiting.addFirst(s);
  }

  /** Returns the sequences in the batch. */
  int running() {
    return running.size();
  }

  /** Returns the sequences waiting to join the batch. */
  int waiting() {
    return waiting.size();
  }

  /** Returns the KV-cache tokens held by the running sequences. */
  long kvUsed() {
    return kvUsed;
  }

  /** Returns the steps completed. */
  long steps() {
    return steps;
  }

  /** Returns the tokens generated, over all sequences. */
  long tokens() {
    return tokens;
  }

  /** Returns the preemptions: sequences evicted from the cache to be prefilled again. */
  long preemptions() {
    return preemptions;
  }

  /** Returns the sequences that finished. */
  long finished() {
    return finished;
  }

  /** Returns the cancelled sequences dropped. */
  long cancelledDropped() {
    return cancelled;
  }

  /** Returns the tokens prefilled (prompts, and prompts again after preemptions). */
  long prefilledTokens() {
    return prefilledTokens;
  }

  /** Returns the model's configuration. */
  ModelConfig config() {
    return config;
  }
}
