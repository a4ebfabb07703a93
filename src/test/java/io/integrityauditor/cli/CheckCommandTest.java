package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit-code and JSON contract of {@code check}. */
class CheckCommandTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("check_cli");
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT generate_series(1, 5);
        CREATE TABLE clean_child (id int PRIMARY KEY, parent_id int);
        INSERT INTO clean_child SELECT i, i FROM generate_series(1, 5) i;
        CREATE TABLE dirty_child (id int PRIMARY KEY, parent_id int);
        INSERT INTO dirty_child VALUES (1, 1), (2, 42);
        """);
  }

  private CliRunner.Outcome check(String audits, String... args) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", audits);
    Path config = workspace.config(db, null);
    String[] full = new String[args.length + 3];
    full[0] = "check";
    full[1] = "--config";
    full[2] = config.toString();
    System.arraycopy(args, 0, full, 3, args.length);
    return execute(full);
  }

  static CliRunner.Outcome execute(String... args) {
    return CliRunner.execute(args);
  }

  private static final String CLEAN =
      """
      audits:
        - id: clean
          kind: orphan
          child: clean_child.parent_id
          parent: parent.id
      """;

  private static final String DIRTY_WARN =
      """
      audits:
        - id: dirty
          kind: orphan
          severity: warn
          child: dirty_child.parent_id
          parent: parent.id
      """;

  @Test
  void exits_0_when_every_audit_is_clean() {
    CliRunner.Outcome outcome = check(CLEAN);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out()).contains("clean").contains("1 audits: 1 clean");
  }

  @Test
  void exits_1_on_violations_and_prints_the_json_contract() throws Exception {
    CliRunner.Outcome outcome = check(DIRTY_WARN, "--format", "json");
    assertThat(outcome.code()).isEqualTo(ExitCodes.VIOLATIONS);
    JsonNode item = Json.MAPPER.readTree(outcome.out()).get("data").get(0);
    assertThat(item.get("id").asText()).isEqualTo("dirty");
    assertThat(item.get("status").asText()).isEqualTo("violations");
    assertThat(item.get("violations").asLong()).isEqualTo(1);
    assertThat(item.get("rowsChecked").asLong()).isEqualTo(2);
    assertThat(item.get("samples").get(0).get("parent_id").asText()).isEqualTo("42");
    assertThat(item.get("error").isNull()).isTrue();
  }

  @Test
  void breaches_below_the_failing_severity_do_not_fail() {
    assertThat(check(DIRTY_WARN, "--fail-on", "critical").code()).isEqualTo(ExitCodes.CLEAN);
  }

  @Test
  void exits_2_on_a_configuration_error_and_runs_nothing() {
    CliRunner.Outcome outcome =
        check(
            """
            audits:
              - id: broken
                kind: orphan
                child: dirty_child.parent
                parent: parent.id
            """);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains("audit 'broken': key 'child.columns': column dirty_child.parent does not exist")
        .contains("nothing was run")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(outcome.out()).isEmpty();
  }

  @Test
  void exits_2_for_an_unknown_audit_id() {
    CliRunner.Outcome outcome = check(CLEAN, "--audit", "clen");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err()).contains("no audit has id 'clen' (did you mean clean?)");
  }

  @Test
  void exits_3_when_the_target_cannot_be_reached() throws Exception {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", CLEAN);
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "targets:\n  app:\n    url: jdbc:postgresql://localhost:"
                + closedPort
                + "/nope\n    user: postgres\n    connect_timeout: 1s\n");
    CliRunner.Outcome outcome = execute("check", "--config", config.toString(), "--format", "json");
    assertThat(outcome.code()).isEqualTo(ExitCodes.COULD_NOT_RUN);
    JsonNode item = Json.MAPPER.readTree(outcome.out()).get("data").get(0);
    assertThat(item.get("status").asText()).isEqualTo("error");
    assertThat(item.get("violations").isNull()).isTrue();
    assertThat(item.get("error").get("class").asText()).isEqualTo("connection");
  }

  @Test
  void a_missing_config_file_is_a_configuration_error() {
    CliRunner.Outcome outcome = execute("check", "--config", dir.resolve("nope.yaml").toString());
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err()).contains("nope.yaml: file does not exist");
  }

  @Test
  void help_lists_the_subcommands() {
    CliRunner.Outcome outcome = execute("--help");
    assertThat(outcome.code()).isZero();
    assertThat(outcome.out()).contains("demo").contains("check").contains("validate");
  }
}
