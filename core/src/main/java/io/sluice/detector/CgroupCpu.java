package io.sluice.detector;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;

/*
 * Where the CPU quota of this process lives, as the JDK's own container support finds it:
 *
 * 1. /proc/self/mountinfo names the cgroup file systems: a v1 hierarchy ("cgroup", with "cpu" among
 *    its super options) or the v2 one ("cgroup2"); each with the cgroup it shows at its root and
 *    where it is mounted. A v1 cpu hierarchy wins on hybrid hosts, where v2 holds no controller.
 * 2. /proc/self/cgroup names this process's cgroup in that hierarchy ("N:cpu,cpuacct:/path" for
 *    v1, "0::/path" for v2).
 * 3. The directory is the mount point plus the cgroup's path below the mount's root; inside a
 *    container (cgroup namespace, or the container's cgroup mounted as the root) that is the mount
 *    point itself.
 * 4. The quota is cpu.max ("QUOTA PERIOD", or "max" for none) in v2, cpu.cfs_quota_us and
 *    cpu.cfs_period_us (-1 for none) in v1, read from that directory and each parent up to the
 *    mount point: a parent's quota (a Kubernetes pod's, a systemd slice's) binds its children, so
 *    the smallest one counts.
 *
 * Every path is resolved under an injectable root, so that tests read fixture trees. Anything
 * missing or malformed means "no quota found"; CpuDetector then counts the available processors,
 * and a user whose runtime hides its quota sets the core count by hand.
 */
final class CgroupCpu {
  private CgroupCpu() {}

  /** Returns the CPU quota in cores of the process whose /proc and /sys are under {@code root}. */
  static OptionalDouble quota(Path root) {
    try {
      List<String> mounts = lines(root.resolve("proc/self/mountinfo"));
      List<String> groups = lines(root.resolve("proc/self/cgroup"));
      Mount v1 = mount(mounts, false);
      if (v1 != null) {
        String path = cgroupPath(groups, false);
        return path == null ? OptionalDouble.empty() : smallestQuota(root, v1, path, false);
      }
      Mount v2 = mount(mounts, true);
      String path = cgroupPath(groups, true);
      return v2 == null || path == null
          ? OptionalDouble.empty() : smallestQuota(root, v2, path, true);
    } catch (IOException | RuntimeException e) {
      return OptionalDouble.empty();
    }
  }

  /** A cgroup file system: the cgroup at its root, and where it is mounted. */
  private static final class Mount {
    final String root;
    final String point;

    Mount(String root, String point) {
      this.root = root;
      this.point = point;
    }
  }

  /** Returns the v2 mount, or the v1 mount of the cpu controller; null if there is none. */
  private static Mount mount(List<String> mountinfo, boolean v2) {
    for (String line : mountinfo) {
      int dash = line.indexOf(" - ");
      if (dash < 0) {
        continue;
      }
      String[] before = line.substring(0, dash).split(" ");
      String[] after = line.substring(dash + 3).split(" ");
      if (before.length < 5 || after.length < 1) {
        continue;
      }
      boolean match = v2
          ? after[0].equals("cgroup2")
          : after[0].equals("cgroup") && after.length >= 3
              && List.of(after[2].split(",")).contains("cpu");
      if (match) {
        return new Mount(unescape(before[3]), unescape(before[4]));
      }
    }
    return null;
  }

  /** Returns this process's cgroup in the v2 hierarchy or in the v1 cpu hierarchy; null if none. */
  private static String cgroupPath(List<String> cgroup, boolean v2) {
    for (String line : cgroup) {
      String[] parts = line.split(":", 3);
      if (parts.length < 3) {
        continue;
      }
      boolean match = v2
          ? parts[0].equals("0") && parts[1].isEmpty()
          : List.of(parts[1].split(",")).contains("cpu");
      if (match) {
        return parts[2];
      }
    }
    return null;
  }

  private static OptionalDouble smallestQuota(Path root, Mount mount, String cgroupPath,
      boolean v2) throws IOException {
    Path top = under(root, mount.point);
    Path dir = top.resolve(relative(below(mount.root, cgroupPath)));
    if (!dir.startsWith(top) || !Files.isDirectory(dir)) {
      dir = top;
    }
    double smallest = Double.POSITIVE_INFINITY;
    for (Path d = dir; d != null && d.startsWith(top); d = d.getParent()) {
      smallest = Math.min(smallest, v2 ? quotaV2(d) : quotaV1(d));
    }
    return smallest == Double.POSITIVE_INFINITY
        ? OptionalDouble.empty() : OptionalDouble.of(smallest);
  }

  /** Returns the cgroup path below the mount's root: all of it when the mount shows the root. */
  private static String below(String mountRoot, String cgroupPath) {
    if (mountRoot.equals("/")) {
      return cgroupPath;
    }
    if (cgroupPath.equals(mountRoot) || cgroupPath.startsWith(mountRoot + "/")) {
      return cgroupPath.substring(mountRoot.length());
    }
    return "";
  }

  /** cpu.max: "QUOTA PERIOD" in microseconds, or "max PERIOD"; infinity for none or no file. */
  private static double quotaV2(Path dir) throws IOException {
    Path file = dir.resolve("cpu.max");
    if (!Files.isRegularFile(file)) {
      return Double.POSITIVE_INFINITY;
    }
    String[] fields = Files.readString(file, StandardCharsets.ISO_8859_1).trim().split("\\s+");
    if (fields.length != 2 || fields[0].equals("max")) {
      return Double.POSITIVE_INFINITY;
    }
    return cores(Long.parseLong(fields[0]), Long.parseLong(fields[1]));
  }

  /** cpu.cfs_quota_us (-1 for none) over cpu.cfs_period_us; infinity for none or no file. */
  private static double quotaV1(Path dir) throws IOException {
    Path quota = dir.resolve("cpu.cfs_quota_us");
    Path period = dir.resolve("cpu.cfs_period_us");
    if (!Files.isRegularFile(quota) || !Files.isRegularFile(period)) {
      return Double.POSITIVE_INFINITY;
    }
    return cores(Long.parseLong(Files.readString(quota, StandardCharsets.ISO_8859_1).trim()),
        Long.parseLong(Files.readString(period, StandardCharsets.ISO_8859_1).trim()));
  }

  private static double cores(long quota, long period) {
    return quota <= 0 || period <= 0 ? Double.POSITIVE_INFINITY : (double) quota / period;
  }

  private static Path under(Path root, String absolute) {
    return root.resolve(relative(absolute)).normalize();
  }

  private static String relative(String absolute) {
    int i = 0;
    while (i < absolute.length() && absolute.charAt(i) == '/') {
      i++;
    }
    return absolute.substring(i);
  }

  /** Decodes mountinfo's octal escapes ("\040" for a space). */
  private static String unescape(String field) {
    if (field.indexOf('\\') < 0) {
      return field;
    }
    StringBuilder out = new StringBuilder(field.length());
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 3 < field.length()) {
        out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.readAllLines(file, StandardCharsets.ISO_8859_1);
  }
}
