package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.cli.CheckCommandTest.Outcome;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate}: problems fail it, warnings are printed and do not. */
class ValidateCommandTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("validate_cli");
    db.execute(
        """
        CREATE TABLE workspaces (id uuid PRIMARY KEY);
        CREATE TABLE workflows (id text PRIMARY KEY, workspace_id text);
        """);
  }

  private Outcome validate(String audits) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", audits);
    Path config = workspace.config(db, null);
    return CheckCommandTest.execute("validate", "--config", config.toString());
  }

  @Test
  void a_type_mismatch_is_a_warning_and_validate_still_succeeds() {
    Outcome outcome =
        validate(
            """
            audits:
              - id: ws
                kind: orphan
                child: workflows.workspace_id
                parent: workspaces.id
            """);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CLEAN);
    assertThat(outcome.out())
        .contains(
            "a.yaml:4: warning: audit 'ws': key 'child.columns': type mismatch:"
                + " workflows.workspace_id is text but workspaces.id is uuid")
        .contains("1 audits in 1 files are valid against 1 target(s) (1 warning)");
  }

  @Test
  void problems_still_fail_validation() {
    Outcome outcome =
        validate(
            """
            audits:
              - id: ws
                kind: unique
                table: workflows
                columns: [workspace]
            """);
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err()).contains("column workflows.workspace does not exist");
  }
}
