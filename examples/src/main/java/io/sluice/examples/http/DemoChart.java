package io.sluice.examples.http;

import io.sluice.examples.http.Timeline.Band;
import io.sluice.examples.http.Timeline.Point;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Writes the demo's chart: a self-contained HTML page (inline SVG and CSS, no script, nothing
 * fetched) with one column per server and three panels each, over time: requests per second
 * offered and good, the p99 latency of 200s against the objective, and the concurrency limit
 * against the requests in flight. Scales are shared across columns so that the servers compare
 * at a glance; latency and concurrency are on log scales.
 *
 * <p>Stateless; safe from any thread.
 */
public final class DemoChart {
  private static final int WIDTH = 560;
  private static final int HEIGHT = 190;
  private static final int LEFT = 58;
  private static final int RIGHT = 12;
  private static final int TOP = 26;
  private static final int BOTTOM = 30;
  private static final String OFFERED = "#8c8c8c";
  private static final String GOOD = "#1a9850";
  private static final String P99 = "#7b3294";
  private static final String OBJECTIVE = "#d73027";
  private static final String LIMIT = "#f46d43";
  private static final String IN_FLIGHT = "#2c7bb6";

  private DemoChart() {}

  /** One server's column: its name and its buckets. */
  public record Column(String title, List<Point> points, List<Band> bands, double lengthSeconds) {}

  /**
   * Writes the page to {@code file}, creating its directory.
   *
   * @param objectiveMillis the latency objective, drawn on the latency panels
   * @param notes preformatted text shown under the charts (the demo's tables)
   * @throws IOException if the file cannot be written
   */
  public static void write(Path file, String title, String subtitle, List<Column> columns,
      double objectiveMillis, String notes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(file, html(title, subtitle, columns, objectiveMillis, notes),
        StandardCharsets.UTF_8);
  }

  /** Returns the page. */
  static String html(String title, String subtitle, List<Column> columns, double objectiveMillis,
      String notes) {
    double seconds = columns.stream().mapToDouble(Column::lengthSeconds).max().orElse(1);
    double rateMax = niceCeiling(max(columns, Point::offeredPerSecond) * 1.05);
    double latencyMax = Math.max(objectiveMillis * 4, max(columns, Point::p99Millis) * 1.2);
    double concurrencyMax = Math.max(10, Math.max(max(columns, Point::inFlight),
        max(columns, Point::limit)) * 1.2);
    StringBuilder page = new StringBuilder()
        .append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>").append(escape(title)).append("</title>\n<style>")
        .append("body{font-family:Helvetica,Arial,sans-serif;margin:16px;color:#222}")
        .append("h1{font-size:20px;margin:0 0 4px}p{margin:0 0 10px;font-size:13px}")
        .append(".grid{display:grid;grid-template-columns:repeat(").append(columns.size())
        .append(",").append(WIDTH).append("px);gap:4px 18px}")
        .append("h2{font-size:15px;margin:6px 0 0}svg{display:block}")
        .append("pre{font-size:11px;line-height:1.3}")
        .append("</style></head><body>\n<h1>").append(escape(title)).append("</h1>\n<p>")
        .append(escape(subtitle)).append("</p>\n<div class=\"grid\">\n");
    for (Column c : columns) {
      page.append("<h2>").append(escape(c.title())).append("</h2>\n");
    }
    for (Column c : columns) {
      page.append(panel("requests per second: offered (grey), good: 200 within "
          + format(objectiveMillis) + " ms (green)", c, seconds, 0, rateMax, false,
          new Series(Point::offeredPerSecond, OFFERED, true),
          new Series(Point::goodputPerSecond, GOOD, false)));
    }
    for (Column c : columns) {
      page.append(panel("p99 latency of 200s, ms (purple); objective (red)", c, seconds, 10,
          latencyMax, true, new Series(Point::p99Millis, P99, false))
          .replace("</svg>", horizontal(objectiveMillis, 10, latencyMax, true) + "</svg>"));
    }
    for (Column c : columns) {
      page.append(panel("concurrency: limit (orange), requests in the server (blue)", c,
          seconds, 1, concurrencyMax, true, new Series(Point::inFlight, IN_FLIGHT, false),
          new Series(Point::limit, LIMIT, false)));
    }
    return page.append("</div>\n<pre>").append(escape(notes)).append("</pre>\n</body></html>\n")
        .toString();
  }

  private record Series(ToDoubleFunction<Point> value, String color, boolean dashed) {}

  private static String panel(String caption, Column column, double seconds, double yMin,
      double yMax, boolean log, Series... series) {
    StringBuilder svg = new StringBuilder().append("<svg xmlns=\"http://www.w3.org/2000/svg\" ")
        .append("width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" font-size=\"11\">");
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;
    boolean shade = false;
    for (Band band : column.bands()) {
      double x0 = x(band.fromSeconds(), seconds);
      double x1 = x(band.toSeconds(), seconds);
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x0, TOP,
          Math.max(0, x1 - x0), plotHeight, shade ? "#eef3f8" : "#f7f7f7"));
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>",
          (x0 + x1) / 2, TOP + 11, escape(band.label())));
      shade = !shade;
    }
    svg.append(String.format(Locale.ROOT,
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
        LEFT, TOP, plotWidth, plotHeight));
    for (double tick : ticks(yMin, yMax, log)) {
      double y = y(tick, yMin, yMax, log);
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
              + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>",
          LEFT, LEFT + plotWidth, y, y, LEFT - 4, y + 4, format(tick)));
    }
    for (int t = 0; t <= seconds; t += seconds > 60 ? 20 : 10) {
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%d s</text>",
          x(t, seconds), HEIGHT - BOTTOM + 14, t));
    }
    for (Series s : series) {
      svg.append(path(column.points(), s, seconds, yMin, yMax, log));
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#222\">%s</text>",
        LEFT, TOP - 8, escape(caption)));
    return svg.append("</svg>\n").toString();
  }

  private static String path(List<Point> points, Series s, double seconds, double yMin,
      double yMax, boolean log) {
    StringBuilder d = new StringBuilder();
    boolean pen = false;
    for (Point p : points) {
      double v = s.value().applyAsDouble(p);
      if (Double.isNaN(v) || (log && v <= 0)) {
        pen = false;
        continue;
      }
      d.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f %.1f",
          x(p.seconds(), seconds), y(Math.min(Math.max(v, yMin), yMax), yMin, yMax, log)));
      pen = true;
    }
    return "<path d=\"" + d.toString().strip() + "\" fill=\"none\" stroke=\"" + s.color()
        + "\" stroke-width=\"1.8\"" + (s.dashed() ? " stroke-dasharray=\"5 3\"" : "") + "/>";
  }

  private static String horizontal(double value, double yMin, double yMax, boolean log) {
    double y = y(value, yMin, yMax, log);
    return String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
        + "stroke=\"%s\" stroke-dasharray=\"4 3\"/>", LEFT, WIDTH - RIGHT, y, y, OBJECTIVE);
  }

  private static double x(double seconds, double total) {
    return LEFT + (WIDTH - LEFT - RIGHT) * seconds / total;
  }

  private static double y(double value, double min, double max, boolean log) {
    double f = log ? Math.log(value / min) / Math.log(max / min) : (value - min) / (max - min);
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - f);
  }

  private static double[] ticks(double min, double max, boolean log) {
    if (log) {
      int from = (int) Math.ceil(Math.log10(min));
      int to = (int) Math.floor(Math.log10(max));
      double[] ticks = new double[Math.max(0, to - from + 1)];
      for (int i = 0; i < ticks.length; i++) {
        ticks[i] = Math.pow(10, from + i);
      }
      return ticks;
    }
    double step = niceCeiling((max - min) / 4);
    int n = (int) Math.floor((max - min) / step) + 1;
    double[] ticks = new double[n];
    for (int i = 0; i < n; i++) {
      ticks[i] = min + i * step;
    }
    return ticks;
  }

  /** Returns the smallest of 1, 2, 2.5 or 5 times a power of ten that is at least {@code v}. */
  static double niceCeiling(double v) {
    if (!(v > 0)) {
      return 1;
    }
    double power = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * power >= v) {
        return m * power;
      }
    }
    return 10 * power;
  }

  private static double max(List<Column> columns, ToDoubleFunction<Point> value) {
    return columns.stream().flatMap(c -> c.points().stream()).mapToDouble(value)
        .filter(v -> !Double.isNaN(v)).max().orElse(1);
  }

  private static String format(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  /** Escapes text for HTML and SVG. */
  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
