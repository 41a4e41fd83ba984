package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Measures what a simulated model serves, in virtual time: for each concurrency {@code n} of a
 * sweep, {@code n} clients each keep one request in the model (a closed loop: a client sends its
 * next request the moment its answer ends), and the sweep records the answer tokens per second,
 * the mean batch, time to first token and preemptions. The model's <em>capacity</em> is the most
 * tokens per second any concurrency reached: beyond the concurrency that fills the KV cache,
 * more requests only wait.
 *
 * <p>Deterministic for a seed: the same model, workload and seed give the same points. Stateless;
 * safe from any thread.
 */
public final class CapacitySweep {
  private CapacitySweep() {}

  /**
   * One concurrency of the sweep.
   *
   * @param concurrency requests kept in the model
   * @param tokensPerSecond answer tokens per second
   * @param meanBatch the mean number of sequences per step
   * @param ttftP50Millis the median time to first token, from submission
   * @param ttftP99Millis the 99th percentile of time to first token
   * @param preemptionsPerSecond sequences evicted from the cache per second
   */
  public record Point(int concurrency, double tokensPerSecond, double meanBatch,
      double ttftP50Millis, double ttftP99Millis, double preemptionsPerSecond) {}

  /**
   * Runs the sweep.
   *
   * @param concurrencies the concurrencies to measure, each at least 1
   * @param warmUp virtual time run before measuring, at each concurrency
   * @param measured virtual time measured, at each concurrency
   */
  public static List<Point> run(ModelConfig model, Workload workload, int[] concurrencies,
      Duration warmUp, Duration measured, long seed) {
    List<Point> points = new ArrayList<>(concurrencies.length);
    for (int n : concurrencies) {
      points.add(measure(model, workload, Checks.inRange("concurrency", n, 1, 1 << 16),
          warmUp.toNanos(), measured.toNanos(), seed));
    }
    return points;
  }

  /** Returns the point with the most tokens per second. */
  public static Point best(List<Point> points) {
    Point best = points.get(0);
    for (Point p : points) {
      if (p.tokensPerSecond() > best.tokensPerSecond()) {
        best = p;
      }
    }
    return best;
  }

  /**
   * Returns the time to first token of requests sent one at a time (no load), at quantile
   * {@code q}, in milliseconds, over {@code requests} requests.
   */
  public static double noLoadTtftMillis(ModelConfig model, Workload workload, int requests,
      double q, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[] ttft = new long[requests];
    for (int i = 0; i < requests; i++) {
      int prompt = workload.next(random, "request " + i).promptTokens();
      ttft[i] = model.stepNanos(1, prompt);
    }
    Arrays.sort(ttft);
    return ttft[Math.max(0, (int) Math.ceil(q * requests) - 1)] / 1e6;
  }

  private static Point measure(ModelConfig model, Workload workload, int n, long warmUpNanos,
      long measuredNanos, long seed) {
    Loop loop = new Loop(model, workload, seed);
    for (int i = 0; i < n; i++) {
      loop.send();
    }
    long end = warmUpNanos + measuredNanos;
    long tokensAtStart = 0;
    long preemptionsAtStart = 0;
    long batchSum = 0;
    long steps = 0;
    while (loop.now < end) {
      long step = loop.engine.beginStep(loop.now);
      int batch = loop.engine.running();
      loop.now += step;
      loop.engine.endStep();
      if (loop.now >= warmUpNanos) {
        if (steps == 0) {
          tokensAtStart = loop.engine.tokens();
          preemptionsAtStart = loop.engine.preemptions();
          loop.ttfts.clear();
        }
        batchSum += batch;
        steps++;
      }
    }
    double seconds = measuredNanos / 1e9;
    long[] ttft = loop.ttfts.stream().mapToLong(Long::longValue).sorted().toArray();
    return new Point(n, (loop.engine.tokens() - tokensAtStart) / seconds,
        steps == 0 ? 0 : (double) batchSum / steps, quantileMillis(ttft, 0.5),
        quantileMillis(ttft, 0.99), (loop.engine.preemptions() - preemptionsAtStart) / seconds);
  }

  private static double quantileMillis(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }

  /** A closed loop of clients in virtual time; each finished answer sends the next request. */
  private static final class Loop {
    final BatchEngine engine;
    final ModelConfig model;
    final Workload workload;
    final SplittableRandom random;
    final List<Long> ttfts = new ArrayList<>();
    long now;
    int sent;

    Loop(ModelConfig model, Workload workload, long seed) {
      this.engine = new BatchEngine(model);
      this.model = model;
      this.workload = workload;
      this.random = new SplittableRandom(seed);
    }

    void send() {
      Workload.Request request = workload.next(random, "request " + sent++);
      long submitted = now;
      TokenListener listener = new TokenListener() {
        @Override
        public void onToken(Sequence sequence) {
          if (sequence.generated() == 1) {
            ttfts.add(now - submitted);
          }
        }

        @Override
        public void onFinish(Sequence sequence) {
          send();
        }
      };
      engine.submit(new Sequence(request.promptTokens(), request.maxTokens(),
          model.answerTokens(Message.promptHash(request.messages())), listener, submitted));
    }
  }
}
