package io.sluice.detector;

import java.util.Optional;

/**
 * Whether the {@code jdk.management} module ({@code com.sun.management}) can be used here. Sluice
 * requires it statically: it is in every full JDK, but a runtime image built with jlink may leave
 * it out, and then the detectors fall back to {@code java.management} alone. Classes that name
 * its types ({@link NotifiedGcPauses}, {@link ProcessCpuTime}) are loaded only after this check.
 */
final class JdkManagement {
  private JdkManagement() {}

  /** Returns whether the module is in the boot layer and this module reads it. */
  static boolean present() {
    Optional<Module> module = ModuleLayer.boot().findModule("jdk.management");
    return module.isPresent() && JdkManagement.class.getModule().canRead(module.get());
  }
}
