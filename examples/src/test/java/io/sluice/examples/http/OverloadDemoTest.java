package io.sluice.examples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the whole demo, shrunk to levels of 0.3 s on a pool of 2 connections x 20 ms, to check that
 * it runs end to end and reports every level, the retrying client and the chart. It asserts the
 * shape of the report, not its figures: those depend on the machine.
 */
class OverloadDemoTest {

  @Test
  void theShrunkDemoReportsEveryLevelTheRetriesAndWritesTheChart(@TempDir Path dir)
      throws Exception {
    Path chart = dir.resolve("demo.html");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    OverloadDemo.Result result = OverloadDemo.run(OverloadDemo.Settings.parse(
        "--level-seconds", "0.3", "--connections", "2", "--service-ms", "20",
        "--objective-ms", "200", "--chart", chart.toString()),
        new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(result.unprotected()).extracting(LevelReport::label)
        .containsExactly("0.5x", "1x", "2x", "5x", "10x");
    assertThat(result.protectedLevels()).extracting(LevelReport::label)
        .containsExactly("0.5x", "1x", "2x", "5x", "10x");
    assertThat(result.protectedLevels()).allSatisfy(r ->
        assertThat(r.medianLimit()).as("the protected server has a limit").isPositive());
    assertThat(result.unprotected()).allSatisfy(r ->
        assertThat(r.medianLimit()).as("the unprotected server has none").isEqualTo(-1));
    assertThat(result.retries().calls()).isEqualTo(150); // 5 x 100/s x 0.3 s
    String report = printed.toString(StandardCharsets.UTF_8);
    assertThat(report).contains("Unprotected:", "Protected by Sluice:", "Retrying client",
        "Chart: " + chart.toAbsolutePath());
    assertThat(Files.readString(chart)).contains("<svg", "Protected by Sluice");
  }

  @Test
  void optionsAreParsedAndCheckedByName() {
    OverloadDemo.Settings defaults = OverloadDemo.Settings.parse();
    assertThat(defaults.levelSeconds()).isEqualTo(4.0);
    assertThat(defaults.connections()).isEqualTo(8);
    assertThat(defaults.serviceTime()).isEqualTo(Duration.ofMillis(100));
    assertThat(defaults.objective()).isEqualTo(Duration.ofMillis(500));
    assertThat(defaults.deadline()).isEqualTo(Duration.ofMillis(250));
    assertThat(defaults.chart().getFileName()).hasToString("sluice-demo.html");

    assertThatThrownBy(() -> OverloadDemo.Settings.parse("--level-seconds"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("option --level-seconds needs a value");
    assertThatThrownBy(() -> OverloadDemo.Settings.parse("--speed", "2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown option --speed");
    assertThatThrownBy(() -> OverloadDemo.Settings.parse("--connections", "0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connections must be in [1, 1000] but was 0");
  }
}
