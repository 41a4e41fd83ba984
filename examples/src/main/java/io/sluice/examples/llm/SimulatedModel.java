package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import io.sluice.examples.http.DaemonThreads;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated LLM inference server in the process, in real time: continuous batching over a KV
 * cache of bounded size (see {@link ModelConfig} for the cost of a step, and the scheduling rules
 * in {@code BatchEngine}: first come, first served; a sequence that does not fit waits; when
 * running sequences outgrow the cache, the one admitted last is preempted and prefilled again
 * later). It stands where a GPU server would: the gateway submits a request's prompt and learns
 * of each token through a {@link TokenListener}.
 *
 * <p>One thread runs the steps. A step is scheduled to end {@code duration} after the previous
 * one ended (or after it started, when the model was idle), so the model keeps its rate even when
 * the machine wakes its thread late: a late step is followed by steps that end at once, until the
 * schedule is met. The model never runs more than {@link #MAX_CATCH_UP_NANOS} behind: time lost
 * beyond that (a machine too busy to run the thread at all) is skipped and counted in
 * {@link #lostNanos()}, so that a report can say how much of the model's time the machine took.
 *
 * <p>Thread-safe: {@link #submit}, {@link Sequence#cancel()} and the counters may be called from
 * any thread; listeners are called on the model's thread. {@link #close()} stops the thread;
 * sequences still inside are never finished.
 */
public final class SimulatedModel implements AutoCloseable {
  /** The furthest the model's schedule may run behind the wall clock before time is skipped. */
  public static final long MAX_CATCH_UP_NANOS = 250_000_000L;
  /** How often waiting sequences hear {@link TokenListener#onWaiting(Sequence)}. */
  static final long HEARTBEAT_NANOS = 1_000_000_000L;
  /** The longest the idle model sleeps before looking at its inbox again. */
  private static final long IDLE_PARK_NANOS = 50_000_000L;

  private final ModelConfig config;
  private final BatchEngine engine;
  private final ConcurrentLinkedQueue<Sequence> inbox = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean paused;

  // Written by the model thread only (single writer), read by anyone.
  private volatile int running;
  private volatile int waiting;
  private volatile long kvUsed;
  private volatile long tokens;
  private volatile long preemptions;
  private volatile long lostNanos;
  private volatile long steps;

  private SimulatedModel(ModelConfig config) {
    this.config = config;
    this.engine = new BatchEngine(config);
    this.thread = DaemonThreads.named("simulated-model-").newThread(this::run);
  }

  /** Starts a model on its own daemon thread. */
  public static SimulatedModel start(ModelConfig config) {
    SimulatedModel model = new SimulatedModel(Checks.notNull("config", config));
    model.thread.start();
    return model;
  }

  /** Returns the model's configuration. */
  public ModelConfig config() {
    return config;
  }

  /**
   * Submits a prompt; returns its sequence, whose {@link Sequence#promptTokens()} is the model's
   * count and whose {@link Sequence#answerTokens()} is the answer's length.
   *
   * @param maxTokens at least 1; the prompt's tokens plus it must fit the context window
   * @throws IllegalArgumentException if the prompt and max_tokens exceed the context window
   */
  public Sequence submit(List<Message> messages, int maxTokens, TokenListener listener) {
    int prompt = Message.promptTokens(messages);
    if ((long) prompt + maxTokens > config.contextTokens()) {
      throw new IllegalArgumentException("prompt + max_tokens must be at most the context of "
          + config.contextTokens() + " tokens but was " + prompt + " + " + maxTokens);
    }
    Sequence sequence = new Sequence(prompt, maxTokens,
        config.answerTokens(Message.promptHash(messages)), listener, System.nanoTime());
    inbox.add(sequence);
    LockSupport.unpark(thread);
    return sequence;
  }

  /** Stops running steps until {@link #resume()} (sequences wait, listeners hear nothing). */
  void pause() {
    paused = true;
  }

  /** Runs steps again after {@link #pause()}. */
  void resume() {
    paused = false;
    LockSupport.unpark(thread);
  }

  /** Returns the sequences in the batch, as of the last step. */
  public int running() {
    return running;
  }

  /** Returns the sequences waiting to join the batch, as of the last step. */
  public int waiting() {
    return waiting;
  }

  /** Returns the KV-cache tokens in use, as of the last step. */
  public long kvUsed() {
    return kvUsed;
  }

  /** Returns the answer tokens generated so far. */
  public long tokens() {
    return tokens;
  }

  /** Returns how many sequences were preempted (evicted from the cache, prefilled again). */
  public long preemptions() {
    return preemptions;
  }

  /** Returns the steps run so far. */
  public long steps() {
    return steps;
  }

  /**
   * Returns the model time skipped because the machine did not run the model's thread for more
   * than {@link #MAX_CATCH_UP_NANOS}: zero on a machine with room to spare.
   */
  public long lostNanos() {
    return lostNanos;
  }

  /** Stops the model's thread and waits for it, at most a second. */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "SimulatedModel[running " + running + ", waiting " + waiting + ", kv " + kvUsed + "/"
        + config.kvCacheTokens() + "]";
  }

  private void run() {
    long lastEnd = System.nanoTime();
    long nextHeartbeat = lastEnd + HEARTBEAT_NANOS;
    while (!closed) {
      for (Sequence s; (s = inbox.poll()) != null; ) {
        engine.submit(s);
      }
      long now = System.nanoTime();
      if (now - nextHeartbeat >= 0) {
        engine.forEachWaiting(s -> s.listener().onWaiting(s));
        nextHeartbeat = now + HEARTBEAT_NANOS;
      }
      long duration = paused ? 0 : engine.beginStep(now);
      publish();
      if (duration == 0) {
        LockSupport.parkNanos(this, IDLE_PARK_NANOS);
        lastEnd = System.nanoTime();
        continue;
      }
      if (now - lastEnd > MAX_CATCH_UP_NANOS) {
        lostNanos += now - lastEnd - MAX_CATCH_UP_NANOS;
        lastEnd = now - MAX_CATCH_UP_NANOS;
      }
      long end = lastEnd + duration;
      for (long left = end - System.nanoTime(); left > 0 && !closed;
          left = end - System.nanoTime()) {
        LockSupport.parkNanos(this, left);
      }
      engine.endStep();
      lastEnd = end;
      publish();
    }
  }

  private void publish() {
    running = engine.running();
    waiting = engine.waiting();
    kvUsed = engine.kvUsed();
    tokens = engine.tokens();
    preemptions = engine.preemptions();
    steps = engine.steps();
  }
}
