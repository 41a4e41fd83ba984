package io.sluice.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CPU detector in virtual time over a fake CPU clock, with cores from fixtures or by hand. */
class CpuDetectorTest {
  private final VirtualSleeper time = new VirtualSleeper();
  private final AtomicLong cpuNanos = new AtomicLong();

  @TempDir
  Path root;

  /** Defaults: 100 ms period, 1 s window, 0.85 / 0.95; no cgroup files; 2 processors. */
  private CpuDetector.Builder builder() {
    return CpuDetector.newBuilder().time(time.clock, time).cgroupRoot(root)
        .availableProcessors(() -> 2).cpuTime(cpuNanos::get);
  }

  /** Runs {@code periods} periods of 100 ms in which the process uses {@code cores} cores. */
  private OverloadSignal use(Sampler sampler, double cores, int periods)
      throws InterruptedException {
    OverloadSignal last = sampler.signal();
    for (int i = 0; i < periods; i++) {
      cpuNanos.addAndGet((long) (cores * Duration.ofMillis(100).toNanos()));
      last = VirtualSleeper.run(sampler, 1);
    }
    return last;
  }

  private void quota(long quota, long period) throws IOException {
    Path cgroup = root.resolve("sys/fs/cgroup");
    Files.createDirectories(cgroup);
    Files.createDirectories(root.resolve("proc/self"));
    Files.writeString(root.resolve("proc/self/mountinfo"),
        "29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    Files.writeString(root.resolve("proc/self/cgroup"), "0::/\n");
    Files.writeString(cgroup.resolve("cpu.max"), quota + " " + period + "\n");
  }

  @Test
  void theLoadIsCpuTimeOverTheWindowAndTheCores() throws InterruptedException {
    CpuDetector detector = builder().build();
    Sampler sampler = VirtualSleeper.opened(detector.sampler());
    assertThat(detector.cores()).isEqualTo(2.0);

    OverloadSignal half = use(sampler, 1.0, 10);
    assertThat(half.level()).isEqualTo(OverloadLevel.NONE);
    assertThat(half.value()).isCloseTo(0.5, within(1e-9));

    assertThat(use(sampler, 1.8, 10).level()).isEqualTo(OverloadLevel.ELEVATED);
    OverloadSignal severe = use(sampler, 2.0, 10);
    assertThat(severe.level()).isEqualTo(OverloadLevel.SEVERE);
    assertThat(severe.value()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void theLoadIsAnAverageOverTheWindow() throws InterruptedException {
    Sampler sampler = VirtualSleeper.opened(builder().build().sampler());
    use(sampler, 0.2, 10);

    OverloadSignal signal = use(sampler, 2.0, 5);

    assertThat(signal.value()).isCloseTo((5 * 0.2 + 5 * 2.0) / 10 / 2, within(1e-9));
    assertThat(signal.level()).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void aCgroupQuotaBelowTheProcessorsIsTheCoreCount() throws Exception {
    quota(50_000, 100_000);
    CpuDetector detector = builder().build();
    Sampler sampler = VirtualSleeper.opened(detector.sampler());

    assertThat(detector.cores()).isEqualTo(0.5);
    assertThat(use(sampler, 0.49, 10).level())
        .as("half a core used of a half-core quota").isEqualTo(OverloadLevel.SEVERE);
  }

  @Test
  void aQuotaAboveTheProcessorsCountsTheProcessors() throws Exception {
    quota(800_000, 100_000);

    assertThat(builder().build().cores()).isEqualTo(2.0);
  }

  @Test
  void aCoreCountSetByHandWinsOverDetection() throws Exception {
    quota(50_000, 100_000);
    CpuDetector detector = builder().cores(4).build();
    Sampler sampler = VirtualSleeper.opened(detector.sampler());

    assertThat(detector.cores()).isEqualTo(4.0);
    assertThat(use(sampler, 2.0, 10).value()).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void withoutAProcessCpuClockTheDetectorIsUnavailableAndReadsNone()
      throws InterruptedException {
    CpuDetector detector = builder().cpuTime(() -> -1L).build();
    Sampler sampler = VirtualSleeper.opened(detector.sampler());

    assertThat(detector.available()).isFalse();
    assertThat(VirtualSleeper.run(sampler, 20).level()).isEqualTo(OverloadLevel.NONE);
  }

  @Test
  void thisJvmReportsItsCpuTime() {
    CpuDetector detector = CpuDetector.newBuilder().build();

    assertThat(detector.available()).isTrue();
    assertThat(detector.cores()).isPositive()
        .isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(detector.name()).isEqualTo("cpu");
  }

  @Test
  void configurationErrorsNameTheParameterAndTheRange() {
    assertThatThrownBy(() -> CpuDetector.newBuilder().cores(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cores must be in [0.01, 100000.0] but was 0.0");
    assertThatThrownBy(() -> CpuDetector.newBuilder().thresholds(0.9, 1.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("severe must be in [0.9, 1.0] but was 1.1");
  }
}
