package io.sluice.examples.llm;

import io.sluice.examples.llm.LlmTimeline.Band;
import io.sluice.examples.llm.LlmTimeline.Point;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Writes the LLM demo's chart, in the style of the overload demo's: a self-contained HTML page
 * (inline SVG and CSS, no script, nothing fetched) with one column per gateway and four panels
 * each, over time: answer tokens per second (offered, good, the flooding key's) against the
 * model's capacity; the light keys' tokens asked for and received; time to first token (p99)
 * against the objective; and the model's KV cache in use against its size, with the gateway's
 * limit in estimated tokens. Scales are shared across columns.
 *
 * <p>Stateless; safe from any thread.
 */
public final class LlmChart {
  private static final int WIDTH = 440;
  private static final int HEIGHT = 180;
  private static final int LEFT = 54;
  private static final int RIGHT = 10;
  private static final int TOP = 26;
  private static final int BOTTOM = 28;
  private static final String GREY = "#8c8c8c";
  private static final String GOOD = "#1a9850";
  private static final String FLOOD = "#d73027";
  private static final String LIGHT = "#2c7bb6";
  private static final String P99 = "#7b3294";
  private static final String LIMIT = "#f46d43";
  private static final String BLACK = "#333333";

  private LlmChart() {}

  /**
   * One gateway's column.
   *
   * @param title the column's heading
   * @param points the timeline's buckets
   * @param bands the load levels
   * @param lengthSeconds the time axis's length
   */
  public record Column(String title, List<Point> points, List<Band> bands,
      double lengthSeconds) {}

  /**
   * Writes the page to {@code file}, creating its directory.
   *
   * @param capacity the model's capacity, answer tokens per second
   * @param kvCacheTokens the model's KV cache, in tokens
   * @param objectiveMillis the TTFT objective
   * @param noLoadP99Millis the TTFT p99 without load (twice it is drawn too)
   * @param notes preformatted text shown under the charts (the demo's tables)
   * @throws IOException if the file cannot be written
   */
  public static void write(Path file, String title, String subtitle, List<Column> columns,
      double capacity, long kvCacheTokens, double objectiveMillis, double noLoadP99Millis,
      String notes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(file, html(title, subtitle, columns, capacity, kvCacheTokens,
        objectiveMillis, noLoadP99Millis, notes), StandardCharsets.UTF_8);
  }

  /** Returns the page. */
  static String html(String title, String subtitle, List<Column> columns, double capacity,
      long kvCacheTokens, double objectiveMillis, double noLoadP99Millis, String notes) {
    double seconds = columns.stream().mapToDouble(Column::lengthSeconds).max().orElse(1);
    double tokensMax = niceCeiling(Math.max(capacity * 1.6, max(columns, Point::goodTokens)));
    double lightMax = niceCeiling(Math.max(1, max(columns, Point::lightOffered) * 1.4));
    double ttftMax = Math.max(objectiveMillis * 4, max(columns, Point::ttftP99Millis) * 1.2);
    double kvMax = niceCeiling(Math.max(kvCacheTokens * 1.2, max(columns, Point::limitTokens)));
    StringBuilder page = new StringBuilder()
        .append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>").append(escape(title)).append("</title>\n<style>")
        .append("body{font-family:Helvetica,Arial,sans-serif;margin:16px;color:#222}")
        .append("h1{font-size:20px;margin:0 0 4px}p{margin:0 0 10px;font-size:13px}")
        .append(".grid{display:grid;grid-template-columns:repeat(").append(columns.size())
        .append(",").append(WIDTH).append("px);gap:4px 16px}")
        .append("h2{font-size:15px;margin:6px 0 0}svg{display:block}")
        .append("pre{font-size:11px;line-height:1.3}")
        .append("</style></head><body>\n<h1>").append(escape(title)).append("</h1>\n<p>")
        .append(escape(subtitle)).append("</p>\n<div class=\"grid\">\n");
    for (Column c : columns) {
      page.append("<h2>").append(escape(c.title())).append("</h2>\n");
    }
    for (Column c : columns) {
      page.append(panel("answer tokens/s: offered (grey, clipped), good (green), flooding key"
          + " (red); capacity (dashed)", c, seconds, 0, tokensMax, false,
          List.of(horizontal(capacity, 0, tokensMax, false, BLACK)),
          new Series(Point::offeredTokens, GREY, true),
          new Series(Point::floodTokens, FLOOD, false),
          new Series(Point::goodTokens, GOOD, false)));
    }
    for (Column c : columns) {
      page.append(panel("light keys, tokens/s: asked for (grey), received (blue)", c, seconds,
          0, lightMax, false, List.of(), new Series(Point::lightOffered, GREY, true),
          new Series(Point::lightTokens, LIGHT, false)));
    }
    for (Column c : columns) {
      page.append(panel("TTFT p99, ms (purple); objective (red), 2x no-load p99 (orange)", c,
          seconds, 10, ttftMax, true,
          List.of(horizontal(objectiveMillis, 10, ttftMax, true, FLOOD),
              horizontal(2 * noLoadP99Millis, 10, ttftMax, true, LIMIT)),
          new Series(Point::ttftP99Millis, P99, false)));
    }
    for (Column c : columns) {
      page.append(panel("KV cache in use, tokens (blue), of " + kvCacheTokens
          + " (dashed); limit, est. tokens (orange)", c, seconds, 0, kvMax, false,
          List.of(horizontal(kvCacheTokens, 0, kvMax, false, BLACK)),
          new Series(Point::kvUsed, LIGHT, false), new Series(Point::limitTokens, LIMIT,
              false)));
    }
    return page.append("</div>\n<pre>").append(escape(notes)).append("</pre>\n</body></html>\n")
        .toString();
  }

  private record Series(ToDoubleFunction<Point> value, String color, boolean dashed) {}

  private static String panel(String caption, Column column, double seconds, double yMin,
      double yMax, boolean log, List<String> lines, Series... series) {
    StringBuilder svg = new StringBuilder().append("<svg xmlns=\"http://www.w3.org/2000/svg\" ")
        .append("width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" font-size=\"10\">");
    int plotWidth = WIDTH - LEFT - RIGHT;
    int plotHeight = HEIGHT - TOP - BOTTOM;
    boolean shade = false;
    for (Band band : column.bands()) {
      double x0 = x(band.fromSeconds(), seconds);
      double x1 = x(band.toSeconds(), seconds);
      svg.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>", x0, TOP,
          Math.max(0, x1 - x0), plotHeight, shade ? "#eef3f8" : "#f4f4f4"));
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
    int step = seconds > 120 ? 30 : seconds > 60 ? 20 : 10;
    for (int t = 0; t <= seconds; t += step) {
      svg.append(String.format(Locale.ROOT,
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%d s</text>",
          x(t, seconds), HEIGHT - BOTTOM + 13, t));
    }
    for (String line : lines) {
      svg.append(line);
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
        + "\" stroke-width=\"1.6\"" + (s.dashed() ? " stroke-dasharray=\"5 3\"" : "") + "/>";
  }

  private static String horizontal(double value, double yMin, double yMax, boolean log,
      String color) {
    double y = y(Math.min(Math.max(value, yMin), yMax), yMin, yMax, log);
    return String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
        + "stroke=\"%s\" stroke-dasharray=\"4 3\"/>", LEFT, WIDTH - RIGHT, y, y, color);
  }

  private static double x(double seconds, double total) {
    return LEFT + (WIDTH - LEFT - RIGHT) * seconds / total;
  }

  private static double y(double value, double min, double max, boolean log) {
    double f = log ? Math.log(value / min) / Math.log(max / min) : (value - min) / (max - min);
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - f);
  }

  private static List<Double> ticks(double min, double max, boolean log) {
    List<Double> ticks = new ArrayList<>();
    if (log) {
      for (int p = (int) Math.ceil(Math.log10(min)); p <= Math.floor(Math.log10(max)); p++) {
        ticks.add(Math.pow(10, p));
      }
      return ticks;
    }
    double step = niceCeiling((max - min) / 4);
    for (double t = min; t <= max + step / 1000; t += step) {
      ticks.add(t);
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
    if (v >= 10_000) {
      return String.format(Locale.ROOT, "%.0fk", v / 1000);
    }
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  /** Escapes text for HTML and SVG. */
  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
