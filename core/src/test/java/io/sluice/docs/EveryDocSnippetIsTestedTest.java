package io.sluice.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every page of the README and docs/ that shows Java code has a test that compiles and runs that
 * code (each named below checks its page through {@link DocSnippets}). A page that gains a Java
 * block without such a test fails here, so no snippet goes unchecked.
 */
class EveryDocSnippetIsTestedTest {
  private static final Map<String, String> TESTED_BY = Map.ofEntries(
      Map.entry("README.md",
          "examples: io.sluice.examples.QuickStartTest (the quick start)"),
      Map.entry("docs/02-executors-and-pools.md",
          "core: io.sluice.GuardsReadmeTest"),
      Map.entry("docs/04-rate-limits-and-quotas.md",
          "core: io.sluice.client.ReadmeSnippetsTest"),
      Map.entry("docs/05-circuit-breaker.md",
          "core: io.sluice.client.ReadmeSnippetsTest"),
      Map.entry("docs/06-client-side.md",
          "core: io.sluice.client.ReadmeSnippetsTest"),
      Map.entry("docs/07-http-server.md",
          "examples: io.sluice.examples.http.HttpServerReadmeTest"),
      Map.entry("docs/08-observability.md",
          "examples: io.sluice.examples.observability.ObservabilityReadmeTest"),
      Map.entry("docs/09-simulator.md",
          "examples: io.sluice.examples.SimulatorDocTest"),
      Map.entry("docs/12-http.md",
          "http: io.sluice.http.HttpDocsTest"),
      Map.entry("docs/14-overload-detectors.md",
          "core: io.sluice.detector.OverloadDetectorsDocTest"),
      Map.entry("docs/19-servlet.md",
          "servlet: io.sluice.servlet.ServletDocsTest"));

  @Test
  void everyPageWithJavaCodeHasATest() throws IOException {
    Path root = DocSnippets.root();
    TreeSet<String> withJava = new TreeSet<>();
    try (Stream<Path> pages = Stream.concat(Stream.of(root.resolve("README.md")),
        Files.walk(root.resolve("docs")).filter(p -> p.toString().endsWith(".md")))) {
      pages.forEach(p -> {
        String name = root.relativize(p).toString().replace('\\', '/');
        if (!DocSnippets.blocks(DocSnippets.page(name), "java").isEmpty()) {
          withJava.add(name);
        }
      });
    }
    assertThat(withJava).as("pages with Java blocks").isNotEmpty();
    assertThat(TESTED_BY.keySet()).as("pages whose Java blocks a test runs")
        .containsAll(withJava);
  }

  @Test
  void theReadmeShowsJavaOnlyInItsQuickStart() {
    String readme = DocSnippets.page("README.md");
    String quickStart = DocSnippets.section("README.md", "## Quick start");
    assertThat(DocSnippets.blocks(readme, "java"))
        .isNotEmpty()
        .isEqualTo(DocSnippets.blocks(quickStart, "java"));
  }
}
