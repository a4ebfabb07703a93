package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.util.Map;
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
        CREATE TABLE numbered_child (id int PRIMARY KEY, parent_id int);
        INSERT INTO numbered_child VALUES (221, 900), (34, 901), (5, 902), (1000, 903), (3, 3);
        """);
  }

  private CliRunner.Outcome check(String audits, String... args) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", audits);
    Path config = workspace.config(db, null);
    return CliRunner.execute("check", config, args);
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
    assertThat(outcome.out()).contains("clean").contains("1 audit: 1 clean");
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
    assertThat(item.get("owner").isNull()).isTrue();
  }

  @Test
  void the_json_output_names_the_owner_from_the_file_defaults_or_the_audit() throws Exception {
    String audits =
        "defaults:\n  owner: data-platform\n"
            + DIRTY_WARN
            + """
                - id: clean
                  owner: billing
                  kind: orphan
                  child: clean_child.parent_id
                  parent: parent.id
              """;
    CliRunner.Outcome outcome = check(audits, "--format", "json");
    assertThat(outcome.code()).isEqualTo(ExitCodes.VIOLATIONS);
    JsonNode data = Json.MAPPER.readTree(outcome.out()).get("data");
    Map<String, String> owners = new java.util.TreeMap<>();
    data.forEach(item -> owners.put(item.get("id").asText(), item.get("owner").asText()));
    assertThat(owners)
        .containsExactly(Map.entry("clean", "billing"), Map.entry("dirty", "data-platform"));
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
  void a_target_that_does_not_answer_says_what_to_check_and_which_setting_waits() throws Exception {
    // newuser23: at load 60 the catalog read failed with "[connection] Connection attempt timed
    // out." and nothing said that connect_timeout on the target is how long it waits
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", CLEAN);
    // accepts TCP connections (the backlog) and never answers the startup message
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
      Path config =
          workspace.write(
              "integrity-auditor.yaml",
              "targets:\n  app:\n    url: jdbc:postgresql://localhost:"
                  + silent.getLocalPort()
                  + "/nope\n    user: postgres\n    connect_timeout: 1s\n");
      CliRunner.Outcome outcome =
          execute("check", "--config", config.toString(), "--format", "json");
      assertThat(outcome.code()).isEqualTo(ExitCodes.COULD_NOT_RUN);
      JsonNode error = Json.MAPPER.readTree(outcome.out()).get("data").get(0).get("error");
      assertThat(error.get("class").asText()).isEqualTo("connection");
      assertThat(error.get("message").asText())
          .contains("timed out")
          .endsWith(
              " (the server did not answer within the target's connect_timeout: check that it is"
                  + " up and reachable from this host; a busy server may need a longer"
                  + " connect_timeout)");
    }
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
    assertThat(outcome.err())
        .contains("nope.yaml: file does not exist (looked for " + dir.resolve("nope.yaml"))
        .contains(", given by --config);");
  }

  @Test
  void help_lists_the_subcommands() {
    CliRunner.Outcome outcome = execute("--help");
    assertThat(outcome.code()).isZero();
    assertThat(outcome.out()).contains("demo").contains("check").contains("validate");
  }

  @Test
  void counts_are_singular_for_one_and_plural_otherwise() {
    CliRunner.Outcome outcome =
        check(
            """
            audits:
              - id: dirty
                kind: orphan
                child: dirty_child.parent_id
                parent: parent.id
                threshold: {max_violations: 1}
              - id: numbered
                kind: orphan
                child: numbered_child.parent_id
                parent: parent.id
            """);
    assertThat(outcome.out())
        .contains("  1 violating row (threshold: more than 1 violation, not breached)")
        .contains("  4 violating rows (threshold: any violation, breached)")
        .contains("2 audits: 0 clean, 2 with violations (1 breached), 0 could not run")
        .doesNotContain("1 violating rows")
        .doesNotContain("1 violations");
  }

  @Test
  void a_type_mismatch_is_counted_apart_from_the_violating_rows() {
    // newuser23: "9 violating rows" for 8 orphan rows and a varchar -> uuid mismatch, the first
    // sample key being no row at all
    db.execute(
        "CREATE TABLE IF NOT EXISTS text_child (id int PRIMARY KEY, parent_id text);"
            + " TRUNCATE text_child; INSERT INTO text_child VALUES (1, '1'), (2, '77'), (3, NULL);");
    CliRunner.Outcome outcome =
        check(
            """
            audits:
              - id: texts
                kind: orphan
                child: text_child.parent_id
                parent: parent.id
            """);
    assertThat(outcome.out())
        .contains(
            "  2 violations: 1 violating row and 1 type mismatch (threshold: any violation,"
                + " breached); sample keys:\n"
                + "    type_mismatch=text_child.parent_id text <> parent.id integer\n"
                + "    id=2, parent_id=77\n");
  }

  @Test
  void check_runs_without_the_http_token_that_only_serve_uses_and_validate_still_asks_for_it() {
    // newuser23: with the tour's http: section, check refused to run ("environment variable
    // AUDITOR_API_TOKEN is not set"), a token for an HTTP API check never opens
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", CLEAN);
    Path config =
        workspace.config(db, null, "http:\n  token_env: NEWUSER23_UNSET_TOKEN_VARIABLE\n");
    CliRunner.Outcome check = CliRunner.execute("check", config);
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.CLEAN);
    CliRunner.Outcome validate = CliRunner.execute("validate", config);
    assertThat(validate.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(validate.err())
        .contains(
            "key 'http.token_env': environment variable NEWUSER23_UNSET_TOKEN_VARIABLE is not set;"
                + " export it before starting");
  }

  @Test
  void sample_keys_of_integer_columns_sort_by_value_not_as_text() {
    CliRunner.Outcome outcome =
        check(
            """
            audits:
              - id: numbered
                kind: orphan
                child: numbered_child.parent_id
                parent: parent.id
            """);
    // as text these would be 1000, 221, 34, 5
    assertThat(outcome.out())
        .contains(
            """
                id=5, parent_id=902
                id=34, parent_id=901
                id=221, parent_id=900
                id=1000, parent_id=903
            """);
  }

  @Test
  void without_a_config_file_says_where_it_looked_and_how_to_point_at_one() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        System.getenv("INTEGRITY_AUDITOR_CONFIG") == null,
        "the default location is only used without INTEGRITY_AUDITOR_CONFIG");
    Path expected = Path.of("integrity-auditor.yaml").toAbsolutePath();
    org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.exists(expected));
    CliRunner.Outcome outcome = execute("check");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .isEqualTo(
            "integrity-auditor.yaml: file does not exist (looked for "
                + expected
                + ", the default when neither --config nor $INTEGRITY_AUDITOR_CONFIG is given);"
                + " point at your configuration with --config FILE or"
                + " INTEGRITY_AUDITOR_CONFIG=FILE\n"
                + "1 configuration problem; nothing was run.\n");
  }
}
