package io.sluice.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.Introspector;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The {@code META-INF/spring-configuration-metadata.json} that IDEs read to complete
 * {@code sluice.*}: written by spring-boot-configuration-processor from {@link SluiceProperties}
 * when the starter compiles. Checked against the properties class itself: every property it binds
 * is listed, with its type and a description, and nothing else is.
 */
class ConfigurationMetadataTest {
  private static final Pattern ENTRY = Pattern.compile("\\{[^{}\\[\\]]*\"name\"\\s*:\\s*\"([^\"]+)\""
      + "[^{}]*?\\}", Pattern.DOTALL);

  @Test
  void everyBoundPropertyIsDescribedAndNoOther() throws IOException {
    String json = metadata();
    String properties = section(json, "properties", "hints");
    Map<String, String> listed = new TreeMap<>();
    Matcher m = ENTRY.matcher(properties);
    while (m.find()) {
      listed.put(m.group(1), m.group());
    }
    Map<String, Class<?>> bound = new TreeMap<>();
    collect("sluice", SluiceProperties.class, bound);

    assertThat(listed.keySet()).containsExactlyElementsOf(bound.keySet());
    listed.forEach((name, entry) -> {
      assertThat(entry).as(name).contains("\"description\"").contains("\"type\"");
    });
    assertThat(listed.get("sluice.quota.period")).contains("java.time.Duration")
        .contains("\"defaultValue\": \"1s\"");
    assertThat(listed.get("sluice.bypass-prefixes")).contains("/actuator");
    assertThat(listed.get("sluice.limiter.algorithm")).contains("SluiceProperties$Algorithm");
    assertThat(section(json, "hints", null)).contains("sluice.overload-status");
  }

  /** The properties Spring binds under {@code prefix}: each getter, nested groups walked. */
  private static void collect(String prefix, Class<?> type, Map<String, Class<?>> into) {
    for (Method getter : type.getMethods()) {
      String name = getter.getName();
      if (getter.getParameterCount() != 0 || getter.getDeclaringClass() == Object.class
          || Modifier.isStatic(getter.getModifiers())) {
        continue;
      }
      String bare = name.startsWith("get") ? name.substring(3)
          : name.startsWith("is") ? name.substring(2) : null;
      if (bare == null) {
        continue;
      }
      String property = prefix + "." + kebab(Introspector.decapitalize(bare));
      Class<?> returned = getter.getReturnType();
      if (returned.getEnclosingClass() == SluiceProperties.class && !returned.isEnum()) {
        collect(property, returned, into); // a group: sluice.limiter, sluice.quota, ...
      } else {
        into.put(property, returned);
      }
    }
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  private static String section(String json, String from, String to) {
    int start = json.indexOf("\"" + from + "\"");
    assertThat(start).as("the %s section", from).isNotNegative();
    int end = to == null ? json.length() : json.indexOf("\"" + to + "\"", start);
    return json.substring(start, end < 0 ? json.length() : end);
  }

  /**
   * The starter's own file: Spring Boot's jars hold files of the same name, and which one a plain
   * resource lookup finds first depends on the class path's order (JDK 25's run found Boot's).
   */
  private static String metadata() throws IOException {
    String home = SluiceProperties.class.getProtectionDomain().getCodeSource().getLocation()
        .toString();
    Enumeration<URL> found = SluiceProperties.class.getClassLoader()
        .getResources("META-INF/spring-configuration-metadata.json");
    while (found.hasMoreElements()) {
      URL url = found.nextElement();
      String at = url.toString();
      if (at.startsWith(home) || at.startsWith("jar:" + home)) {
        try (InputStream in = url.openStream()) {
          return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
      }
    }
    throw new AssertionError("no spring-configuration-metadata.json beside " + home);
  }
}
