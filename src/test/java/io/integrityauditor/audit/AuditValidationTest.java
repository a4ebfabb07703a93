package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes in audit files: each named with file, line, audit, key and what to do. */
class AuditValidationTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("validation");
    db.execute(
        """
        CREATE TABLE workflow_instances (id text PRIMARY KEY, config_version_id text, workspace_id text);
        CREATE TABLE config_versions (id text PRIMARY KEY);
        CREATE TABLE workspaces (id uuid PRIMARY KEY);
        """);
  }

  private List<String> problems(String yaml) {
    return Audits.problems(dir, db, yaml.stripIndent());
  }

  private String file() {
    return dir.resolve("audits/test.yaml").toString();
  }

  @Test
  void unknown_column_names_file_line_audit_key_and_a_suggestion() {
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child:
                      table: workflow_instances
                      columns: [config_id]
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":6: audit 'wi_config': key 'child.columns': column"
                + " workflow_instances.config_id does not exist (did you mean config_version_id?)");
  }

  @Test
  void unknown_table_is_reported_with_the_closest_name() {
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child: workflow_instance.config_version_id
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":4: audit 'wi_config': key 'child.table': table workflow_instance does not"
                + " exist in the search path (public) (did you mean workflow_instances?)");
  }

  @Test
  void unknown_keys_are_rejected_with_the_closest_known_key() {
    assertThat(
            problems(
                """
                audits:
                  - id: wi_config
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                    severty: warn
                """))
        .singleElement()
        .asString()
        .startsWith(
            file() + ":6: audit 'wi_config': key 'severty': unknown key (did you mean severity?)");
  }

  @Test
  void duplicate_ids_are_rejected() {
    assertThat(
            problems(
                """
                audits:
                  - id: same
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                  - id: same
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":6: audit 'same': key 'id': duplicate audit id (first defined at "
                + file()
                + ":2); ids must be unique");
  }

  @Test
  void a_type_mismatch_is_explained_instead_of_failing_at_query_time() {
    String yaml =
        """
        audits:
          - id: ws
            kind: orphan
            child: workflow_instances.workspace_id
            parent: workspaces.id
        """
            .stripIndent();
    // not an error: validate warns, and every run counts the mismatch as a violation
    assertThat(problems(yaml)).isEmpty();
    assertThat(Audits.warnings(dir, db, yaml))
        .containsExactly(
            file()
                + ":4: warning: audit 'ws': key 'child.columns': type mismatch:"
                + " workflow_instances.workspace_id is text but workspaces.id is uuid; each run"
                + " counts it as 1 violation and compares the values as text. Give the reference"
                + " its key's type (a foreign key needs identical types)");
    AuditResult result = Audits.run(dir, db, yaml).get("ws");
    Measurement measurement = result.measurement().orElseThrow();
    assertThat(measurement.violations()).isEqualTo(1);
    assertThat(measurement.rowsChecked()).isZero();
    assertThat(measurement.samples())
        .containsExactly(
            new SampleKey(
                Map.of(
                    "type_mismatch",
                    "workflow_instances.workspace_id text <> workspaces.id uuid")));
    assertThat(measurement.notes())
        .containsExactly(
            "type mismatch: workflow_instances.workspace_id is text but workspaces.id is uuid;"
                + " compared as text");
  }

  @Test
  void a_missing_parent_and_an_unknown_kind_are_both_reported() {
    assertThat(
            problems(
                """
                audits:
                  - id: a
                    kind: orphan
                    child: workflow_instances.config_version_id
                  - id: b
                    kind: orphans
                """))
        .containsExactly(
            file() + ":2: audit 'a': key 'parent': is required: give table and columns",
            file()
                + ":6: audit 'b': key 'kind': must be one of orphan, unique, consistent,"
                + " accepted_values, required_when, polymorphic, schema, sql, found 'orphans' (did"
                + " you mean orphan?)");
  }

  @Test
  void wrong_value_types_are_named() {
    assertThat(
            problems(
                """
                audits:
                  - id: a
                    kind: orphan
                    child: workflow_instances.config_version_id
                    parent: config_versions.id
                    timeout: soon
                    sample_size: -1
                """))
        .containsExactly(
            file()
                + ":6: audit 'a': key 'timeout': expected a duration like 30s, 5m, 1h30m or 250ms,"
                + " found 'soon'",
            file() + ":7: audit 'a': key 'sample_size': must be between 0 and 1000, found -1");
  }

  @Test
  void invalid_yaml_names_the_line() {
    assertThat(problems("audits:\n  - id: a\n    kind: [orphan\n"))
        .singleElement()
        .asString()
        .startsWith(file() + ":3: invalid YAML:");
  }
}
