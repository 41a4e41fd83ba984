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
 * sluice-core does not depend on Micrometer (its binder is the sluice-micrometer module): no
 * compiled class of core names a Micrometer type (a class file names every type it uses in its
 * constant pool), and the limiter, executor, snapshots and monitor run in a class loader that holds
 * core's classes and nothing else.
 */
class CoreWithoutMicrometerTest {
  private static final Path CLASSES = Path.of("target", "classes");
  private static final Path TEST_CLASSES = Path.of("target", "test-classes");

  @Test
  void noClassOfCoreRefersToMicrometer() throws IOException {
    List<Path> referring;
    long classes;
    try (Stream<Path> files = Files.walk(CLASSES)) {
      List<Path> all = files.filter(p -> p.toString().endsWith(".class")).toList();
      classes = all.size();
      referring = all.stream().filter(CoreWithoutMicrometerTest::mentionsMicrometer)
          .map(CLASSES::relativize).toList();
    }
    assertThat(classes).isGreaterThan(50);
    assertThat(referring).isEmpty();
  }

  @Test
  void coreRunsInAClassLoaderWithoutMicrometer() throws Exception {
    URL[] path = {CLASSES.toUri().toURL(), TEST_CLASSES.toUri().toURL()};
    try (URLClassLoader isolated = new URLClassLoader(path, ClassLoader.getPlatformClassLoader())) {
      assertThatThrownBy(() -> isolated.loadClass("io.micrometer.core.instrument.MeterRegistry"))
          .isInstanceOf(ClassNotFoundException.class);

      Class<?> probe = isolated.loadClass(WithoutMicrometer.class.getName());
      assertThat(probe.getClassLoader()).isSameAs(isolated);
      ((Runnable) probe.getDeclaredConstructor().newInstance()).run();
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
