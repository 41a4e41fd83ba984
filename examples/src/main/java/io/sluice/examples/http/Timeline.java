package io.sluice.examples.http;

import io.sluice.examples.http.LoadGenerator.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything one server went through during the demo, on one time axis: the samples of each load
 * level, and the server's limit and in-flight count sampled every 100 ms. It turns them into the
 * time series of the chart.
 *
 * <p>{@link #gauge} may be called from a sampling thread while the demo's thread adds levels; the
 * other methods belong to the demo's thread.
 */
public final class Timeline {
  /** One bucket of the chart, rates per second; NaN where the bucket has nothing to show. */
  public record Point(double seconds, double offeredPerSecond, double goodputPerSecond,
      double p99Millis, double limit, double inFlight) {}

  /** A load level's place on the axis, in seconds from the origin. */
  public record Band(double fromSeconds, double toSeconds, String label) {}

  private record Gauge(long nanos, int limit, int inFlight) {}

  private final String name;
  private final long originNanos;
  private final List<Sample> samples = new ArrayList<>();
  private final List<Band> bands = new ArrayList<>();
  private final ConcurrentLinkedQueue<Gauge> gauges = new ConcurrentLinkedQueue<>();
  private long endNanos;

  /** Starts a timeline for the server called {@code name}, with its origin now. */
  public Timeline(String name) {
    this.name = Checks.notNull("name", name);
    this.originNanos = System.nanoTime();
    this.endNanos = originNanos;
  }

  /** Returns the server's name. */
  public String name() {
    return name;
  }

  /** Records the server's limit (-1 for none) and in-flight count now; safe from any thread. */
  public void gauge(int limit, int inFlight) {
    gauges.add(new Gauge(System.nanoTime(), limit, inFlight));
  }

  /** Adds a level that ran from {@code fromNanos} to {@code toNanos}, with its samples. */
  public void addLevel(String label, long fromNanos, long toNanos, List<Sample> levelSamples) {
    samples.addAll(levelSamples);
    bands.add(new Band(seconds(fromNanos), seconds(toNanos), label));
    endNanos = Math.max(endNanos, toNanos);
  }

  /** Returns the limits sampled between two readings of {@link System#nanoTime()}. */
  public int[] limitsBetween(long fromNanos, long toNanos) {
    return gauges.stream().filter(g -> g.nanos >= fromNanos && g.nanos < toNanos)
        .mapToInt(Gauge::limit).toArray();
  }

  /** Returns the levels, in order. */
  public List<Band> bands() {
    return List.copyOf(bands);
  }

  /** Returns the length of the timeline in seconds, up to the end of the last level. */
  public double lengthSeconds() {
    return seconds(endNanos);
  }

  /**
   * Returns the time series in buckets of {@code bucketNanos}: requests due and good answers
   * (200 within {@code objectiveNanos}, by completion) per second, the p99 latency of the 200s
   * completed in the bucket, and the mean sampled limit and in-flight count.
   */
  public List<Point> points(long bucketNanos, long objectiveNanos) {
    int n = (int) ((endNanos - originNanos) / bucketNanos) + 1;
    int[] offered = new int[n];
    int[] good = new int[n];
    List<List<Long>> latencies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      latencies.add(new ArrayList<>());
    }
    for (Sample s : samples) {
      int due = bucket(s.dueNanos(), bucketNanos, n);
      if (due >= 0) {
        offered[due]++;
      }
      int done = bucket(s.doneNanos(), bucketNanos, n);
      if (done >= 0 && s.answered(200)) {
        latencies.get(done).add(s.latencyNanos());
        if (s.latencyNanos() <= objectiveNanos) {
          good[done]++;
        }
      }
    }
    double[] limitSum = new double[n];
    double[] inFlightSum = new double[n];
    int[] gaugeCount = new int[n];
    for (Gauge g : gauges) {
      int b = bucket(g.nanos, bucketNanos, n);
      if (b >= 0) {
        limitSum[b] += g.limit;
        inFlightSum[b] += g.inFlight;
        gaugeCount[b]++;
      }
    }
    double perSecond = 1e9 / bucketNanos;
    List<Point> points = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long[] sorted = latencies.get(i).stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(sorted);
      boolean limited = gaugeCount[i] > 0 && limitSum[i] >= 0;
      points.add(new Point((i + 0.5) * bucketNanos / 1e9, offered[i] * perSecond,
          good[i] * perSecond, LevelReport.millis(sorted, 0.99),
          limited ? limitSum[i] / gaugeCount[i] : Double.NaN,
          gaugeCount[i] > 0 ? inFlightSum[i] / gaugeCount[i] : Double.NaN));
    }
    return points;
  }

  private int bucket(long nanos, long bucketNanos, int n) {
    long b = (nanos - originNanos) / bucketNanos;
    return nanos < originNanos || b >= n ? -1 : (int) b;
  }

  private double seconds(long nanos) {
    return (nanos - originNanos) / 1e9;
  }
}
