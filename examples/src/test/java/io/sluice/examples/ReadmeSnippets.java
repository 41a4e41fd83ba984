package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks that the README shows code that runs: every line of the {@code ```java} blocks of a
 * section must appear, in order and stripped of indentation, in a source file that the tests
 * compile and run.
 */
public final class ReadmeSnippets {
  private ReadmeSnippets() {}

  /** Returns the lines of the java blocks of the README section under {@code heading}. */
  public static List<String> javaLines(String heading) throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    int from = readme.indexOf(heading);
    assertThat(from).as("README section %s", heading).isNotNegative();
    int end = readme.indexOf("\n## ", from + heading.length());
    String section = readme.substring(from, end < 0 ? readme.length() : end);
    List<String> lines = new ArrayList<>();
    for (int at = section.indexOf("```java"); at >= 0; at = section.indexOf("```java", at)) {
      int start = at + "```java".length();
      int close = section.indexOf("```", start);
      section.substring(start, close).lines().map(String::strip).filter(l -> !l.isEmpty())
          .forEach(lines::add);
      at = close + 3;
    }
    assertThat(lines).as("java lines in README section %s", heading).isNotEmpty();
    return lines;
  }

  /** Asserts that the java lines of the README section appear in order in {@code source}. */
  public static void assertShownIn(String heading, Path source) throws IOException {
    List<String> sourceLines = Files.readString(source).lines().map(String::strip).toList();
    int from = 0;
    for (String line : javaLines(heading)) {
      int at = sourceLines.subList(from, sourceLines.size()).indexOf(line);
      assertThat(at).as("README line in %s, in order: %s", source.getFileName(), line)
          .isNotNegative();
      from += at + 1;
    }
  }
}
