package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is an optional dependency: only io.sluice.metrics.micrometer may refer to it, and the
 * rest of core must load and run without it. Two checks: no other compiled class names a Micrometer
 * type (a class file names every type it uses in its constant pool), and the limiter, executor,
 * snapshots and monitor run in a class loader that holds core and HdrHistogram but no Micrometer,
 * where the binder fails to load.
 */
class MicrometerIsOptionalTest {
  private static final Path CLASSES = Path.of("target", "classes");
  private static final Path TEST_CLASSES = Path.of("target", "test-classes");

  @Test
  void onlyTheBinderPackageRefersToMicrometer() throws IOException {
    List<Path> referring;
    try (Stream<Path> files = Files.walk(CLASSES)) {
      referring = files.filter(p -> p.toString().endsWith(".class"))
          .filter(p -> mentionsMicrometer(p))
          .map(CLASSES::relativize)
          .toList();
    }
    assertThat(referring).isNotEmpty().allSatisfy(p ->
        assertThat(p.toString().replace('\\', '/')).startsWith("io/sluice/metrics/micrometer/"));
  }

  @Test
  void coreRunsInAClassLoaderWithoutMicrometer() throws Exception {
    URL hdrHistogram = org.HdrHistogram.Histogram.class.getProtectionDomain().getCodeSource()
        .getLocation();
    URL[] path = {CLASSES.toUri().toURL(), TEST_CLASSES.toUri().toURL(), hdrHistogram};
    try (URLClassLoader isolated = new URLClassLoader(path, ClassLoader.getPlatformClassLoader())) {
      assertThatThrownBy(() -> isolated.loadClass("io.micrometer.core.instrument.MeterRegistry"))
          .isInstanceOf(ClassNotFoundException.class);

      Class<?> probe = isolated.loadClass(WithoutMicrometer.class.getName());
      assertThat(probe.getClassLoader()).isSameAs(isolated);
      ((Runnable) probe.getDeclaredConstructor().newInstance()).run();

      assertThatThrownBy(() -> Class.forName(
              "io.sluice.metrics.micrometer.SluiceMeterBinder", true, isolated))
          .isInstanceOf(NoClassDefFoundError.class)
          .hasMessageContaining("io/micrometer");
    }
  }

  private static boolean mentionsMicrometer(Path classFile) {
    try {
      // Constant-pool entries are modified UTF-8, ASCII for these names.
      return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1)
          .contains("io/micrometer/");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
