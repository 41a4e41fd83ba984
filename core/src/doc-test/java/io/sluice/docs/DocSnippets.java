package io.sluice.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads the README and the pages of {@code docs/} for the tests that keep their code true: every
 * fenced Java block of a page is code that a test compiles and runs. One helper for every module's
 * snippet tests (core adds this source root to its tests, and so does examples), so that all of
 * them find pages, sections and blocks the same way.
 *
 * <p>A page is named from the repository root: {@code "README.md"}, {@code
 * "docs/04-rate-limits-and-quotas.md"}. A section runs from its heading line to the next heading
 * of the same or a higher level (headings inside fenced blocks do not count).
 */
public final class DocSnippets {
  private static final Pattern HEADING = Pattern.compile("^(#{1,6}) ");

  private DocSnippets() {}

  /** Returns the repository root: the nearest directory up from here with README.md and docs/. */
  public static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
  }

  /** Returns the text of a page, named from the repository root. */
  public static String page(String name) {
    try {
      return Files.readString(root().resolve(name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the section of a page under {@code heading}, a whole line: "## Quick start". */
  public static String section(String name, String heading) {
    List<String> lines = page(name).lines().toList();
    int level = level(heading);
    List<String> section = new ArrayList<>();
    boolean in = false;
    boolean fence = false;
    for (String line : lines) {
      if (line.startsWith("```")) {
        fence = !fence;
      }
      if (!fence && !in && line.equals(heading)) {
        in = true;
      } else if (!fence && in && level(line) > 0 && level(line) <= level) {
        break;
      }
      if (in) {
        section.add(line);
      }
    }
    if (!in) {
      throw new AssertionError("no heading \"" + heading + "\" in " + name);
    }
    return String.join("\n", section) + "\n";
  }

  /** Returns the bodies of the fenced blocks of {@code markdown} in {@code language}, in order. */
  public static List<String> blocks(String markdown, String language) {
    Matcher m = Pattern.compile("```" + Pattern.quote(language) + "\n(.*?)```", Pattern.DOTALL)
        .matcher(markdown);
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(m.group(1));
    }
    return blocks;
  }

  /** Returns the non-blank lines of the Java blocks of {@code markdown}, stripped. */
  public static List<String> javaLines(String markdown) {
    List<String> lines = new ArrayList<>();
    for (String block : blocks(markdown, "java")) {
      block.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(lines::add);
    }
    return lines;
  }

  /** Returns the stripped lines of a source file, named from the working directory. */
  public static List<String> sourceLines(Path source) {
    try {
      return Files.readAllLines(source, StandardCharsets.UTF_8).stream().map(String::strip)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Checks that every Java line of {@code markdown} is a line of {@code source} (in any order);
   * returns the lines that are not, for the test to assert empty.
   */
  public static List<String> linesMissingFrom(String markdown, Path source) {
    Set<String> have = Set.copyOf(sourceLines(source));
    return javaLines(markdown).stream().filter(l -> !have.contains(l))
        .collect(Collectors.toList());
  }

  /** Checks that the Java lines of {@code markdown} appear in {@code source} in the same order. */
  public static void assertShownInOrder(String markdown, Path source) {
    List<String> have = sourceLines(source);
    int from = 0;
    for (String line : javaLines(markdown)) {
      int at = have.subList(from, have.size()).indexOf(line);
      if (at < 0) {
        throw new AssertionError("documented line not in " + source.getFileName()
            + " (in order): " + line);
      }
      from += at + 1;
    }
  }

  private static int level(String line) {
    Matcher m = HEADING.matcher(line);
    return m.find() ? m.group(1).length() : 0;
  }
}
