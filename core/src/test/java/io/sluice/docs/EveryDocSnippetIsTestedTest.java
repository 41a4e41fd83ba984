package io.sluice.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every page of the README and docs/ that shows Java code names, in a comment of its own, the
 * test sources that compile and run that code, and every Java line of the page stands in one of
 * them (a line that needs a newer JDK than the build's may stand there as a {@code //} comment):
 * {@code <!-- snippets: core/src/test/java/io/sluice/GuardsReadmeTest.java -->} (several
 * paths separated by commas, from the repository root). Each named test also checks its page line
 * for line through {@link DocSnippets}. A page that gains a Java block without such a test, or
 * whose code drifts from its test, fails here, so no snippet goes unchecked; and each page carries
 * its own entry, so pages written on different branches never meet in one table.
 */
class EveryDocSnippetIsTestedTest {
  private static final Pattern MARKER = Pattern.compile("<!-- snippets: ([^>]+?) -->");

  @Test
  void everyPageWithJavaCodeNamesTheTestsThatRunIt() throws IOException {
    Path root = DocSnippets.root();
    TreeMap<String, List<String>> problems = new TreeMap<>();
    int pagesWithJava = 0;
    for (String name : pages(root)) {
      String page = DocSnippets.page(name);
      List<String> javaLines = DocSnippets.javaLines(page);
      if (javaLines.isEmpty()) {
        continue;
      }
      pagesWithJava++;
      Matcher marker = MARKER.matcher(page);
      if (!marker.find()) {
        problems.put(name, List.of("no <!-- snippets: ... --> comment naming its tests"));
        continue;
      }
      Set<String> tested = new HashSet<>();
      List<String> issues = new ArrayList<>();
      for (String source : marker.group(1).split(",")) {
        Path file = root.resolve(source.strip());
        if (!Files.isRegularFile(file)) {
          issues.add("names " + source.strip() + ", which does not exist");
        } else {
          for (String line : DocSnippets.sourceLines(file)) {
            // A line the build cannot compile (an API newer than the target release) stands in
            // its test as a comment, next to the code that replaces it.
            tested.add(line);
            if (line.startsWith("// ")) {
              tested.add(line.substring(3));
            }
          }
        }
      }
      // Whole-line comments are prose; every line of code must stand in a test.
      javaLines.stream().filter(l -> !l.startsWith("//") && !tested.contains(l))
          .forEach(l -> issues.add("line not in its tests: " + l));
      if (!issues.isEmpty()) {
        problems.put(name, issues);
      }
    }
    assertThat(pagesWithJava).as("pages with Java blocks").isPositive();
    assertThat(problems).as("pages whose Java code no named test holds").isEmpty();
  }

  @Test
  void theReadmeShowsJavaOnlyInItsQuickStart() {
    String readme = DocSnippets.page("README.md");
    String quickStart = DocSnippets.section("README.md", "## Quick start");
    assertThat(DocSnippets.blocks(readme, "java"))
        .isNotEmpty()
        .isEqualTo(DocSnippets.blocks(quickStart, "java"));
  }

  private static List<String> pages(Path root) throws IOException {
    List<String> names = new ArrayList<>();
    names.add("README.md");
    try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md"))
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .forEach(names::add);
    }
    return names;
  }
}
