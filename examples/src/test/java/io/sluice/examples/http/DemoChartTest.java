package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.RetryAfter;
import io.sluice.examples.http.LoadGenerator.Kind;
import io.sluice.examples.http.LoadGenerator.Sample;
import io.sluice.examples.http.Timeline.Point;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoChartTest {
  private static final long MS = 1_000_000L;

  @Test
  void aTimelineBucketsOfferedGoodAndLatency() {
    Timeline timeline = new Timeline("t");
    long t0 = System.nanoTime();
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 10; i++) { // 10 due in the first 500 ms, answered in 100 ms or 900 ms
      long due = t0 + i * 40 * MS;
      long latency = (i < 8 ? 100 : 900) * MS;
      samples.add(new Sample(due, due, due + latency, Kind.RESPONSE, 200, RetryAfter.ABSENT,
          false));
    }
    timeline.addLevel("1x", t0, t0 + 400 * MS, samples);
    timeline.gauge(-1, 3);

    List<Point> points = timeline.points(500 * MS, 500 * MS);
    assertThat(points).hasSizeGreaterThanOrEqualTo(1);
    Point first = points.get(0);
    assertThat(first.offeredPerSecond()).isEqualTo(20.0);
    assertThat(first.goodputPerSecond()).as("8 answers within 500 ms, in 0.5 s").isEqualTo(16.0);
    assertThat(first.p99Millis()).isEqualTo(100.0);
    assertThat(timeline.bands()).extracting(Timeline.Band::label).containsExactly("1x");
    assertThat(timeline.limitsBetween(t0, System.nanoTime() + 1)).containsExactly(-1);
  }

  @Test
  void theChartIsOneSelfContainedPageWithThreePanelsPerServer(@TempDir Path dir)
      throws Exception {
    List<Point> points = List.of(new Point(0.25, 80, 79, 120, 12, 10),
        new Point(0.75, 160, 80, Double.NaN, Double.NaN, 14));
    List<Timeline.Band> bands = List.of(new Timeline.Band(0, 1, "2x"));
    Path file = dir.resolve("sub/chart.html");
    DemoChart.write(file, "A <demo> & more", "subtitle",
        List.of(new DemoChart.Column("one", points, bands, 1),
            new DemoChart.Column("two", points, bands, 1)), 500, "table <pre>");

    String html = Files.readString(file);
    assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n")
        .contains("<title>A &lt;demo&gt; &amp; more</title>", "table &lt;pre&gt;")
        .doesNotContain("NaN", "<script", "src=", "href=");
    assertThat(html.split("<svg ", -1)).hasSize(1 + 3 * 2);
  }

  @Test
  void axesEndOnRoundNumbers() {
    assertThat(DemoChart.niceCeiling(0.0)).isEqualTo(1.0);
    assertThat(DemoChart.niceCeiling(7)).isEqualTo(10.0);
    assertThat(DemoChart.niceCeiling(840)).isEqualTo(1000.0);
    assertThat(DemoChart.niceCeiling(210)).isEqualTo(250.0);
    assertThat(DemoChart.niceCeiling(0.3)).isEqualTo(0.5);
  }
}
