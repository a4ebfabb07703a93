package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve}'s SIGHUP handler in a real child JVM: under {@code nohup} the JVM leaves SIGHUP
 * ignored and installing a handler succeeds without effect, so {@code kill -HUP} reloaded nothing
 * and nothing said so (newuser24, a node started with {@code nohup java -jar ... serve &}).
 */
class HangupTest {
  @TempDir Path dir;

  private Process probe(Path log, boolean hangupIgnored) throws Exception {
    List<String> java = new ArrayList<>();
    java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    java.add("-XX:TieredStopAtLevel=1");
    java.add("-cp");
    java.add(System.getProperty("java.class.path"));
    java.add(HangupProbe.class.getName());
    List<String> command = new ArrayList<>();
    if (hangupIgnored) {
      // what nohup does: the signal is ignored when the JVM starts
      command.addAll(List.of("sh", "-c", "trap '' HUP; exec \"$@\"", "sh"));
    } else {
      // at its default, even when this build runs under nohup
      command.addAll(ChildNode.DEFAULT_HANGUP);
    }
    command.addAll(java);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    return builder.start();
  }

  /** A probe started and past its handler's installation ("ready" in its log). */
  private Process readyProbe(Path log, boolean hangupIgnored) throws Exception {
    Process process = probe(log, hangupIgnored);
    try {
      Eventually.within(
          Duration.ofMinutes(2), "the probe is ready", () -> read(log).contains("ready"));
      return process;
    } catch (AssertionError | RuntimeException e) {
      process.destroyForcibly().waitFor();
      throw e;
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void a_node_whose_sighup_is_ignored_says_that_kill_hup_will_not_reload() throws Exception {
    Path log = dir.resolve("ignored.log");
    Process process = readyProbe(log, true);
    try {
      assertThat(read(log))
          .as("the line saying the node is serving names POST /api/reload instead")
          .contains("handled=false");
      assertThat(read(log))
          .contains(
              "SIGHUP is ignored in this process (started under nohup, or by a parent that ignores"
                  + " it), so kill -HUP will not reload the audit files: reload with POST"
                  + " /api/reload, or start serve without nohup");
    } finally {
      process.destroyForcibly().waitFor();
    }
  }

  @Test
  void a_node_whose_sighup_is_not_ignored_reloads_on_it_and_warns_of_nothing() throws Exception {
    Path log = dir.resolve("handled.log");
    Process process = readyProbe(log, false);
    try {
      new ProcessBuilder("kill", "-HUP", String.valueOf(process.pid())).start().waitFor();
      Eventually.within(
          Duration.ofMinutes(1),
          "SIGHUP reached the handler",
          () -> read(log).contains("reload requested"));
      assertThat(read(log)).doesNotContain("SIGHUP is ignored").contains("handled=true");
    } finally {
      process.destroyForcibly().waitFor();
    }
  }
}
