package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU quota read from fixture trees laid out as a process sees /proc and /sys under cgroup v1,
 * v2 and a hybrid host, on hosts and in containers.
 */
class CgroupCpuTest {
  @TempDir
  Path root;

  private static final String V1_MOUNTS =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      + "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      + "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";

  private static final String V2_MOUNTS =
      "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n";

  private void write(String path, String content) throws IOException {
    Path file = root.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  private OptionalDouble quota() {
    return CgroupCpu.quota(root);
  }

  @Test
  void v2QuotaIsCpuMaxOfTheProcesssCgroup() throws IOException {
    write("proc/self/mountinfo", V2_MOUNTS);
    write("proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
    write("sys/fs/cgroup/cpu.max", "max 100000\n");
    write("sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "150000 100000\n");

    assertThat(quota()).hasValue(1.5);
  }

  @Test
  void v2WithoutAQuotaHasNone() throws IOException {
    write("proc/self/mountinfo", V2_MOUNTS);
    write("proc/self/cgroup", "0::/user.slice\n");
    write("sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");

    assertThat(quota()).isEmpty();
  }

  @Test
  void v2InsideAContainerReadsTheMountPointItself() throws IOException {
    // A cgroup namespace: the container's cgroup is "/" and is mounted at /sys/fs/cgroup.
    write("proc/self/mountinfo", V2_MOUNTS);
    write("proc/self/cgroup", "0::/\n");
    write("sys/fs/cgroup/cpu.max", "50000 100000\n");

    assertThat(quota()).hasValue(0.5);
  }

  @Test
  void aParentsSmallerQuotaBindsTheChild() throws IOException {
    write("proc/self/mountinfo", V2_MOUNTS);
    write("proc/self/cgroup", "0::/pod/ctr\n");
    write("sys/fs/cgroup/pod/cpu.max", "200000 100000\n");
    write("sys/fs/cgroup/pod/ctr/cpu.max", "max 100000\n");

    assertThat(quota()).hasValue(2.0);
  }

  @Test
  void v1QuotaIsCfsQuotaOverCfsPeriod() throws IOException {
    write("proc/self/mountinfo", V1_MOUNTS);
    write("proc/self/cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n");
    write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "250000\n");
    write("sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");

    assertThat(quota()).hasValue(2.5);
  }

  @Test
  void v1InAContainerWhoseCgroupIsTheMountsRoot() throws IOException {
    write("proc/self/mountinfo",
        "40 31 0:29 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
    write("proc/self/cgroup", "2:cpu:/docker/abc\n");
    write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "100000\n");
    write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");

    assertThat(quota()).hasValue(1.0);
  }

  @Test
  void aHybridHostUsesTheV1CpuController() throws IOException {
    // As on this project's build machine: v1 controllers, plus a v2 hierarchy without them.
    write("proc/self/mountinfo", V1_MOUNTS
        + "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
    write("proc/self/cgroup", "3:cpu,cpuacct:/\n0::/\n");
    write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    write("sys/fs/cgroup/unified/cpu.max", "10000 100000\n");

    assertThat(quota()).as("v2 holds no controller here").isEmpty();
  }

  @Test
  void escapedMountPointsAreDecoded() throws IOException {
    write("proc/self/mountinfo", "29 23 0:26 / /sys/fs/cgroup\\040x rw - cgroup2 cgroup2 rw\n");
    write("proc/self/cgroup", "0::/\n");
    write("sys/fs/cgroup x/cpu.max", "300000 100000\n");

    assertThat(quota()).hasValue(3.0);
  }

  @Test
  void missingOrMalformedFilesMeanNoQuotaFound() throws IOException {
    assertThat(quota()).as("no /proc at all").isEmpty();

    write("proc/self/mountinfo", V2_MOUNTS);
    write("proc/self/cgroup", "0::/\n");
    assertThat(quota()).as("no cpu.max").isEmpty();

    write("sys/fs/cgroup/cpu.max", "lots\n");
    assertThat(quota()).as("malformed").isEmpty();

    write("sys/fs/cgroup/cpu.max", "abc 100000\n");
    assertThat(quota()).as("not a number").isEmpty();
  }

  @Test
  void aCgroupOutsideTheMountFallsBackToTheMountPoint() throws IOException {
    write("proc/self/mountinfo",
        "40 31 0:29 /other /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
    write("proc/self/cgroup", "2:cpu:/docker/abc\n");
    write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "50000\n");
    write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");

    assertThat(quota()).hasValue(0.5);
  }
}
