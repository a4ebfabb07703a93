package io.integrityauditor.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet benchmark's class-data-sharing fallback (issue 18): with {@code --cds auto}, a JVM that
 * cannot write the archive must not stop the benchmark. Under {@code -Xshare:off} (there in {@code
 * JAVA_TOOL_OPTIONS}) the start that writes it exits at once ("DynamicDumpSharedSpaces is
 * unsupported when base CDS archive is not loaded"), and the benchmark stopped with "serve exited
 * with 1 while starting"; now the nodes start without an archive, the cycle runs, and the report
 * says which and why.
 */
class FleetBenchTest {
  @TempDir Path work;

  @Test
  void nodes_start_without_an_archive_the_jvm_cannot_write_and_the_report_says_why()
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      exit =
          FleetBench.run(
              work,
              new FleetBench.Scale(3, 2, 2, 20, 0, Duration.ofMinutes(4)),
              FleetBench.Cds.auto,
              List.of("-Xshare:off"),
              Map.of(),
              out);
    }
    String report = bytes.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(report).isEqualTo(ExitCodes.CLEAN);
    assertThat(report)
        .contains(
            "class-data-sharing archive: none: the start that writes it failed (serve exited with 1"
                + " while starting: DynamicDumpSharedSpaces is unsupported when base CDS archive is"
                + " not loaded)")
        .contains("both nodes start without one")
        .contains("| node 1: serve ready (process start to /health/ready, 6 audits, without a CDS")
        .contains("| node 2: serve ready (process start to /health/ready, 6 audits, without a CDS")
        .contains("completes: yes, every count exact");
    assertThat(work.resolve("fleet/serve.jsa")).doesNotExist();
  }
}
