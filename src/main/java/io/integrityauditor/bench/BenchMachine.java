package io.integrityauditor.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the benchmark ran on, for the report: CPU, memory, OS, JVM and load. */
final class BenchMachine {
  private BenchMachine() {}

  static Map<String, String> describe() {
    Map<String, String> machine = new LinkedHashMap<>();
    machine.put("cpu", cpuModel());
    machine.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
    machine.put("memory", String.format("%.1f GiB", memoryBytes() / (1024.0 * 1024 * 1024)));
    machine.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    machine.put(
        "java",
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version")
            + ", max heap "
            + Runtime.getRuntime().maxMemory() / (1024 * 1024)
            + " MiB");
    machine.put("load average at start", loadAverage());
    return machine;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  static long memoryBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return 0;
  }

  /** The 1, 5 and 15 minute load averages. */
  static String loadAverage() {
    try {
      List<String> parts = List.of(Files.readString(Path.of("/proc/loadavg")).trim().split(" "));
      return String.join(" ", parts.subList(0, 3));
    } catch (IOException | RuntimeException e) {
      return String.format(
          "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }
}
