package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every kind of path against a table of exact paths, prefixes and bypasses. */
class RouteTableTest {
  private final RouteTable<String> routes = RouteTable.newBuilder("api")
      .exact("/query", "query")
      .prefix("/search/", "search")
      .exact("/search/heavy", "heavy")
      .prefix("/search/bulk", "bulk")
      .bypass("/health")
      .bypassPrefix("/metrics")
      .exact("/metrics/expensive", "expensive")
      .build();

  /** Returns "target (KIND pattern)", or "bypass (KIND pattern)". */
  private String where(String path) {
    Route<String> route = routes.route(path);
    return (route.bypass() ? "bypass" : route.target()) + " (" + route.kind()
        + (route.pattern().isEmpty() ? "" : " " + route.pattern()) + ")";
  }

  @Test
  void exactPathsMatchOnlyThemselvesOnTheRawPath() {
    assertThat(where("/query")).isEqualTo("query (EXACT /query)");
    assertThat(where("/query/")).isEqualTo("api (DEFAULT)");
    assertThat(where("/queryfoo")).isEqualTo("api (DEFAULT)");
    assertThat(where("/Query")).isEqualTo("api (DEFAULT)");
    assertThat(where("/%71uery")).as("never decoded").isEqualTo("api (DEFAULT)");
    assertThat(where("/query;jsessionid=1")).isEqualTo("api (DEFAULT)");
    assertThat(where("/")).isEqualTo("api (DEFAULT)");
  }

  @Test
  void prefixesMatchOnSegmentBoundariesAndTheLongestMatchWins() {
    assertThat(where("/search")).isEqualTo("search (PREFIX /search)");
    assertThat(where("/search/")).isEqualTo("search (PREFIX /search)");
    assertThat(where("/search/books")).isEqualTo("search (PREFIX /search)");
    assertThat(where("/searchx")).isEqualTo("api (DEFAULT)");
    assertThat(where("/search;v=1/books")).isEqualTo("api (DEFAULT)");
    assertThat(where("/search/heavy")).isEqualTo("heavy (EXACT /search/heavy)");
    assertThat(where("/search/heavy/more")).isEqualTo("search (PREFIX /search)");
    assertThat(where("/search/bulk")).isEqualTo("bulk (PREFIX /search/bulk)");
    assertThat(where("/search/bulk/a/b/c")).isEqualTo("bulk (PREFIX /search/bulk)");
    assertThat(where("/search/bulky")).isEqualTo("search (PREFIX /search)");
  }

  @Test
  void bypassedPathsSkipAdmissionAndAnExactRouteBeneathABypassDoesNot() {
    assertThat(where("/health")).isEqualTo("bypass (EXACT /health)");
    assertThat(routes.route("/health").target()).isNull();
    assertThat(where("/health/deep")).isEqualTo("api (DEFAULT)");
    assertThat(where("/metrics")).isEqualTo("bypass (PREFIX /metrics)");
    assertThat(where("/metrics/jvm")).isEqualTo("bypass (PREFIX /metrics)");
    assertThat(where("/metrics/expensive")).isEqualTo("expensive (EXACT /metrics/expensive)");
    assertThat(where("/metricsx")).isEqualTo("api (DEFAULT)");
  }

  @Test
  void ambiguousPathsGetTheDefaultAndNeverBypass() {
    List<String> ambiguous = List.of("/metrics/../query", "/metrics/..", "/metrics/.",
        "/metrics/./jvm", "/metrics/..;x/admin", "/metrics/.;/jvm", "//metrics",
        "/metrics//jvm", "/metrics/%2e%2e/admin", "/metrics/%2E%2E/admin", "/metrics%2fjvm",
        "/metrics%2Fjvm", "/metrics%5cjvm", "/metrics\\..\\admin", "/metrics/j vm",
        "/metrics/\u0000", "/metrics/\u00e9", "/metrics/\t", "metrics", "*", "");
    for (String path : ambiguous) {
      Route<String> route = routes.route(path);
      assertThat(route.ambiguous()).as(path).isTrue();
      assertThat(route.bypass()).as(path).isFalse();
      assertThat(route.target()).as(path).isEqualTo("api");
    }
    assertThat(routes.route(null).ambiguous()).isTrue();
    assertThat(where("/metrics/...")).as("three dots is a name").isEqualTo(
        "bypass (PREFIX /metrics)");
    assertThat(where("/metrics/.well-known")).isEqualTo("bypass (PREFIX /metrics)");
    assertThat(where("/metrics/a%20b")).isEqualTo("bypass (PREFIX /metrics)");
    assertThat(where("/metrics/%2")).isEqualTo("bypass (PREFIX /metrics)");
  }

  @Test
  void theRoutesAreListedAndTheDefaultIsReturnedForUnmatchedPaths() {
    assertThat(routes.routes()).extracting(Route::pattern).containsExactly("/query",
        "/search/heavy", "/health", "/metrics/expensive", "/search", "/search/bulk", "/metrics",
        "");
    assertThat(routes.route("/nowhere")).isSameAs(routes.defaultRoute());
    assertThat(routes.route("/query")).isSameAs(routes.route("/query"));
    assertThat(routes.defaultRoute()).hasToString("Route[DEFAULT -> api]");
    assertThat(routes.route("/health")).hasToString("Route[EXACT /health -> bypass]");
  }

  @Test
  void badRoutesAreNamed() {
    RouteTable.Builder<String> b = RouteTable.newBuilder("x");
    for (String bad : new String[] {"query", "/a/../b", "/a//b", "/a b", "/a?b", "/a#b",
        "/%2e", "/caf\u00e9", ""}) {
      assertThatThrownBy(() -> b.exact(bad, "y")).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("path must be a raw absolute path of visible ASCII, without query,"
              + " fragment, \"//\", dot segments or encoded separators, but was " + bad);
    }
    assertThatThrownBy(() -> b.prefix("/", "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("prefix must not be \"/\", which matches every path: use the default target");
    b.exact("/a", "y").prefix("/a", "z");
    assertThatThrownBy(() -> b.bypass("/a"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("path /a is routed twice");
    assertThatThrownBy(() -> b.bypassPrefix("/a/"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("prefix /a is routed twice");
    assertThatThrownBy(() -> b.exact("/b", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("target must not be null");
    assertThatThrownBy(() -> RouteTable.newBuilder(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("defaultTarget must not be null");
  }

  /**
   * Random paths over an alphabet of the characters that matter (separators, dots, percent
   * escapes, letters of the configured paths) against a naive reading of the documented rules:
   * the table and the reference must agree on every one.
   */
  @Test
  void randomPathsRouteAsTheDocumentedRulesSay() {
    Map<String, String> exact = Map.of("/a", "A", "/a/b", "AB", "/c/d/e", "CDE", "/x", "bypass");
    Map<String, String> prefixes = Map.of("/a", "pA", "/c", "pC", "/c/d", "pCD", "/y",
        "bypass");
    RouteTable.Builder<String> builder = RouteTable.newBuilder("default");
    exact.forEach((path, target) -> {
      if (target.equals("bypass")) {
        builder.bypass(path);
      } else {
        builder.exact(path, target);
      }
    });
    prefixes.forEach((path, target) -> {
      if (target.equals("bypass")) {
        builder.bypassPrefix(path);
      } else {
        builder.prefix(path, target);
      }
    });
    RouteTable<String> table = builder.build();
    String[] pieces = {"/", "/", "a", "b", "c", "d", "e", "x", "y", ".", "..", "%2e", "%2F",
        "%41", ";p", "\\", " ", "\u00e9"};
    Random random = new Random(12);
    for (int n = 0; n < 100_000; n++) {
      StringBuilder path = new StringBuilder(random.nextInt(10) == 0 ? "" : "/");
      for (int k = random.nextInt(7); k > 0; k--) {
        path.append(pieces[random.nextInt(pieces.length)]);
      }
      String p = path.toString();
      Route<String> route = table.route(p);
      String actual = route.ambiguous() ? "ambiguous"
          : route.bypass() ? "bypass" : route.target();
      assertThat(actual).as(p).isEqualTo(reference(p, exact, prefixes));
    }
  }

  private static String reference(String path, Map<String, String> exact,
      Map<String, String> prefixes) {
    if (!path.startsWith("/")) {
      return "ambiguous";
    }
    String lower = path.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c")
        || path.contains("\\") || path.contains("//")
        || !path.chars().allMatch(c -> c > ' ' && c <= '~')) {
      return "ambiguous";
    }
    String[] segments = path.substring(1).split("/", -1);
    for (String segment : segments) {
      String name = segment.split(";", -1)[0];
      if (name.equals(".") || name.equals("..")) {
        return "ambiguous";
      }
    }
    if (exact.containsKey(path)) {
      return exact.get(path);
    }
    String best = "default";
    int bestLength = -1;
    for (Map.Entry<String, String> e : prefixes.entrySet()) {
      String prefix = e.getKey();
      boolean matches = path.equals(prefix) || path.startsWith(prefix + "/");
      if (matches && prefix.length() > bestLength) {
        best = e.getValue();
        bestLength = prefix.length();
      }
    }
    return best;
  }
}
