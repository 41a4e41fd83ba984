package io.sluice.benchmarks;

import io.sluice.internal.CumulativeHistogram;
import io.sluice.internal.LogLinearBuckets;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Memory and precision of the histograms {@link HistogramBenchmark} times: the bytes one
 * distribution holds, and the largest relative error of p50, p99 and p99.9 against the exact
 * quantiles of the same values, over many sets of log-normal latencies. Deterministic (seeded);
 * prints a Markdown table. Run: {@code java -cp benchmarks/target/benchmarks.jar
 * io.sluice.benchmarks.HistogramComparison}.
 */
public final class HistogramComparison {
  private static final double[] QUANTILES = {0.5, 0.99, 0.999};

  private HistogramComparison() {}

  /** Prints the table. */
  public static void main(String[] args) {
    System.out.print(table(200, 10_000));
  }

  /** Returns the table, from {@code sets} sets of {@code values} values each. */
  static String table(int sets, int values) {
    double sluiceError = 0;
    double hdr1Error = 0;
    double hdr2Error = 0;
    long hdr1Bytes = 0;
    long hdr2Bytes = 0;
    SplittableRandom random = new SplittableRandom(42);
    for (int s = 0; s < sets; s++) {
      long[] nanos = HistogramBenchmark.latencies(random, values);
      CumulativeHistogram sluice = new CumulativeHistogram();
      Recorder hdr1 = new Recorder(1);
      Recorder hdr2 = new Recorder(2);
      for (long v : nanos) {
        sluice.record(v);
        hdr1.recordValue(v);
        hdr2.recordValue(v);
      }
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      long[] counts = new long[LogLinearBuckets.BUCKETS];
      sluice.copyInto(counts);
      Histogram h1 = hdr1.getIntervalHistogram();
      Histogram h2 = hdr2.getIntervalHistogram();
      // A Recorder holds two histograms (the one being written and the one last handed out),
      // which grow to the range recorded: count both, at the size these values gave them.
      hdr1Bytes = Math.max(hdr1Bytes, 2 * h1.getEstimatedFootprintInBytes());
      hdr2Bytes = Math.max(hdr2Bytes, 2 * h2.getEstimatedFootprintInBytes());
      for (double q : QUANTILES) {
        double exact = sorted[(int) Math.max(0, Math.ceil(q * values) - 1)];
        long quantile = LogLinearBuckets.valueAtQuantile(counts, values, q); // as snapshots read
        sluiceError = Math.max(sluiceError, Math.abs(quantile - exact) / exact);
        hdr1Error = Math.max(hdr1Error, Math.abs(h1.getValueAtPercentile(100 * q) - exact) / exact);
        hdr2Error = Math.max(hdr2Error, Math.abs(h2.getValueAtPercentile(100 * q) - exact) / exact);
      }
    }
    // Sluice: a long[608] in an AtomicLongArray, plus the total's AtomicLong and the two headers.
    long sluiceBytes = 8L * LogLinearBuckets.BUCKETS + 16 + 16 + 16 + 16;
    StringBuilder out = new StringBuilder();
    out.append("| histogram | bytes per distribution | worst relative error of p50, p99, p99.9 "
        + "|\n");
    out.append("|---|---:|---:|\n");
    row(out, "Sluice CumulativeHistogram (608 buckets, 1/16 octave)", sluiceBytes, sluiceError);
    row(out, "HdrHistogram Recorder, 1 significant digit", hdr1Bytes, hdr1Error);
    row(out, "HdrHistogram Recorder, 2 significant digits", hdr2Bytes, hdr2Error);
    out.append(String.format(Locale.ROOT, "%n%d sets of %d log-normal latencies (median 1 ms, "
        + "sigma 1). A Recorder's size is twice its histogram's own estimate, after these values "
        + "(it grows with the range recorded); quantiles as each library reports them (Sluice: "
        + "bucket midpoint; HdrHistogram: highest value equivalent to the bucket).%n",
        sets, values));
    return out.toString();
  }

  private static void row(StringBuilder out, String name, long bytes, double error) {
    out.append(String.format(Locale.ROOT, "| %s | %,d | %.2f%% |%n", name, bytes, 100 * error));
  }
}
