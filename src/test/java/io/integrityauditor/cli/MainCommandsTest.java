package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A command line naming a command builds only that command (picocli's reflection over the others
 * was part of every node's start); usage and help still know every command.
 */
class MainCommandsTest {
  private static final String[] ALL = {
    "demo",
    "bench",
    "serve",
    "check",
    "validate",
    "explain",
    "suggest",
    "trigger",
    "alerts",
    "ack",
    "runs",
    "baseline",
    "help"
  };

  @Test
  void a_command_line_naming_a_command_builds_only_that_command() {
    assertThat(Main.commandLine("serve", "--config", "worker.yaml").getSubcommands().keySet())
        .containsExactly("serve");
    assertThat(Main.commandLine("validate").getSubcommands().keySet()).containsExactly("validate");
  }

  @Test
  void usage_help_and_unknown_commands_get_every_command_in_order() {
    assertThat(Main.commandLine().getSubcommands().keySet()).containsExactly(ALL);
    assertThat(Main.commandLine("help", "serve").getSubcommands().keySet()).containsExactly(ALL);
    assertThat(Main.commandLine("--help").getSubcommands().keySet()).containsExactly(ALL);
    assertThat(Main.commandLine("valdate").getSubcommands().keySet()).containsExactly(ALL);

    CliRunner.Outcome usage = CliRunner.execute("--help");
    assertThat(usage.code()).isZero();
    assertThat(usage.out()).contains("  serve ", "  validate ", "  baseline ");
    CliRunner.Outcome help = CliRunner.execute("help", "serve");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("Usage: integrity-auditor serve");
    CliRunner.Outcome mistyped = CliRunner.execute("valdate");
    assertThat(mistyped.code()).isEqualTo(2);
    assertThat(mistyped.err()).contains("validate");
  }
}
