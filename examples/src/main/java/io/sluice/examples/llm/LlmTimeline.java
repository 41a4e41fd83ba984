package io.sluice.examples.llm;

import io.sluice.examples.http.Checks;
import io.sluice.examples.llm.LlmLoadGenerator.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything one gateway went through during the LLM demo, on one time axis: the samples of each
 * load level, and the model's KV cache, its queue and the gateway's limit sampled a few times a
 * second. It turns them into the time series of the chart.
 *
 * <p>{@link #gauge} may be called from a sampling thread while the demo's thread adds levels; the
 * other methods belong to the demo's thread.
 */
public final class LlmTimeline {
  /**
   * One bucket of the chart; NaN where the bucket has nothing to show.
   *
   * @param seconds the bucket's middle, from the origin
   * @param offeredTokens answer tokens asked for by the requests that arrived, per second
   * @param goodTokens tokens received by streams whose TTFT met the objective, per second
   * @param floodTokens tokens received by the flooding tenant, per second
   * @param lightTokens tokens received by the other tenants, per second
   * @param lightOffered tokens asked for by the other tenants, per second
   * @param ttftP99Millis the 99th percentile TTFT of admitted requests that arrived in the bucket
   * @param kvUsed the model's KV-cache tokens in use, mean over the bucket
   * @param waiting the sequences waiting in the model, mean over the bucket
   * @param limitTokens the gateway's limit in estimated tokens, mean (NaN without a limit in
   *     tokens)
   */
  public record Point(double seconds, double offeredTokens, double goodTokens, double floodTokens,
      double lightTokens, double lightOffered, double ttftP99Millis, double kvUsed,
      double waiting, double limitTokens) {}

  /** A load level's place on the axis, in seconds from the origin. */
  public record Band(double fromSeconds, double toSeconds, String label) {}

  private record Gauge(long nanos, long kvUsed, int waiting, long limitTokens) {}

  private final String name;
  private final int flood;
  private final long originNanos;
  private final List<Sample> samples = new ArrayList<>();
  private final List<Band> bands = new ArrayList<>();
  private final ConcurrentLinkedQueue<Gauge> gauges = new ConcurrentLinkedQueue<>();
  private long endNanos;

  /** Starts a timeline for the gateway called {@code name}, with its origin now. */
  public LlmTimeline(String name, int floodTenant) {
    this.name = Checks.notNull("name", name);
    this.flood = floodTenant;
    this.originNanos = System.nanoTime();
    this.endNanos = originNanos;
  }

  /** Returns the gateway's name. */
  public String name() {
    return name;
  }

  /** Records the model's KV use and queue and the limit in tokens (-1 for none); any thread. */
  public void gauge(long kvUsed, int waiting, long limitTokens) {
    gauges.add(new Gauge(System.nanoTime(), kvUsed, waiting, limitTokens));
  }

  /** Adds a level that ran from {@code fromNanos} to {@code toNanos}, with its samples. */
  public void addLevel(String label, long fromNanos, long toNanos, List<Sample> levelSamples) {
    samples.addAll(levelSamples);
    bands.add(new Band(seconds(fromNanos), seconds(toNanos), label));
    endNanos = Math.max(endNanos, toNanos);
    for (Sample s : levelSamples) {
      endNanos = Math.max(endNanos, s.endNanos());
    }
  }

  /** Returns the levels' bands. */
  public List<Band> bands() {
    return List.copyOf(bands);
  }

  /** Returns the time from the origin to the end of the last level's last request, in seconds. */
  public double lengthSeconds() {
    return seconds(endNanos);
  }

  /** Returns the chart's buckets of {@code bucketNanos}, TTFT judged against {@code objective}. */
  public List<Point> points(long bucketNanos, long objectiveNanos) {
    int n = (int) ((endNanos - originNanos) / bucketNanos) + 1;
    double perSecond = 1e9 / bucketNanos;
    double[] offered = new double[n];
    double[] good = new double[n];
    double[] floodTokens = new double[n];
    double[] light = new double[n];
    double[] lightOffered = new double[n];
    List<List<Long>> ttfts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ttfts.add(new ArrayList<>());
    }
    for (Sample s : samples) {
      int arrival = bucket(s.dueNanos(), bucketNanos, n);
      offered[arrival] += s.plannedTokens();
      if (s.tenant() != flood) {
        lightOffered[arrival] += s.plannedTokens();
      }
      if (!s.admitted() || s.firstTokenNanos() == 0 || s.tokens() == 0) {
        continue;
      }
      ttfts.get(arrival).add(s.ttftNanos());
      boolean isGood = s.ttftNanos() <= objectiveNanos;
      spread(s, s.tenant() == flood ? floodTokens : light, bucketNanos, n);
      if (isGood) {
        spread(s, good, bucketNanos, n);
      }
    }
    double[] kv = new double[n];
    double[] waiting = new double[n];
    double[] limit = new double[n];
    int[] gaugeCount = new int[n];
    int[] limitCount = new int[n];
    for (Gauge g : gauges) {
      int b = bucket(g.nanos, bucketNanos, n);
      kv[b] += g.kvUsed;
      waiting[b] += g.waiting;
      gaugeCount[b]++;
      if (g.limitTokens >= 0) {
        limit[b] += g.limitTokens;
        limitCount[b]++;
      }
    }
    List<Point> points = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long[] t = ttfts.get(i).stream().mapToLong(Long::longValue).sorted().toArray();
      points.add(new Point((i + 0.5) * bucketNanos / 1e9, offered[i] * perSecond,
          good[i] * perSecond, floodTokens[i] * perSecond, light[i] * perSecond,
          lightOffered[i] * perSecond, t.length == 0 ? Double.NaN
              : t[Math.max(0, (int) Math.ceil(0.99 * t.length) - 1)] / 1e6,
          gaugeCount[i] == 0 ? Double.NaN : kv[i] / gaugeCount[i],
          gaugeCount[i] == 0 ? Double.NaN : waiting[i] / gaugeCount[i],
          limitCount[i] == 0 ? Double.NaN : limit[i] / limitCount[i]));
    }
    return points;
  }

  /** Spreads a stream's tokens evenly from its first token to its end. */
  private void spread(Sample s, double[] into, long bucketNanos, int n) {
    long from = s.firstTokenNanos() - originNanos;
    long to = Math.max(from + 1, s.endNanos() - originNanos);
    double perNano = (double) s.tokens() / (to - from);
    for (long b = Math.max(0, from / bucketNanos); b <= to / bucketNanos && b < n; b++) {
      long lo = Math.max(from, b * bucketNanos);
      long hi = Math.min(to, (b + 1) * bucketNanos);
      if (hi > lo) {
        into[(int) b] += perNano * (hi - lo);
      }
    }
  }

  private int bucket(long nanos, long bucketNanos, int n) {
    return (int) Math.max(0, Math.min(n - 1, (nanos - originNanos) / bucketNanos));
  }

  private double seconds(long nanos) {
    return (nanos - originNanos) / 1e9;
  }

  @Override
  public String toString() {
    return "LlmTimeline[" + name + ", " + samples.size() + " requests, " + Arrays.toString(
        bands.stream().map(Band::label).toArray()) + "]";
  }
}
