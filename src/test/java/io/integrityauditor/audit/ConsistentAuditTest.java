package io.integrityauditor.audit;

import static io.integrityauditor.support.Results.rowsChecked;
import static io.integrityauditor.support.Results.sample;
import static io.integrityauditor.support.Results.samples;
import static io.integrityauditor.support.Results.violations;
import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kind: consistent}: workspace isolation through a reference. */
class ConsistentAuditTest {
  static TestPostgres.Database db;

  static final String A = "aaaaaaaa-0000-4000-8000-000000000001";
  static final String B = "bbbbbbbb-0000-4000-8000-000000000002";

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("consistent_kind");
    db.execute(
        """
        CREATE TABLE config_versions (id text PRIMARY KEY, workspace_id uuid, status text NOT NULL);
        INSERT INTO config_versions VALUES ('cv1', '%1$s', 'ACTIVE'), ('cv2', '%2$s', 'ACTIVE'),
          ('cv3', NULL, 'ACTIVE'), ('cv4', '%1$s', 'DRAFT');
        CREATE TABLE workflows (id int PRIMARY KEY, workspace_id uuid, config_version_id text,
                                kind text NOT NULL);
        INSERT INTO workflows VALUES
          (1, '%1$s', 'cv1', 'a'),      -- same workspace
          (2, '%2$s', 'cv1', 'a'),      -- violation: B's workflow on A's config
          (3, '%2$s', 'cv2', 'b'),
          (4, NULL, 'cv2', 'b'),        -- violation: NULL vs B
          (5, NULL, 'cv3', 'a'),        -- NULL vs NULL: consistent
          (6, '%1$s', 'cv3', 'b'),      -- violation: A vs NULL
          (7, '%1$s', 'cv-gone', 'a'),  -- missing parent: the orphan audit's job
          (8, '%1$s', NULL, 'a'),       -- no reference
          (9, '%2$s', 'cv4', 'a');      -- violation, unless DRAFT parents are filtered out
        CREATE TABLE text_workflows (id int PRIMARY KEY, workspace_id text, config_version_id text);
        INSERT INTO text_workflows VALUES (1, '%1$s', 'cv1'), (2, 'A', 'cv1');
        CREATE TABLE loose_versions (id text, workspace_id uuid);   -- no key
        """
            .formatted(A, B));
  }

  private AuditResult run(String audit) {
    return Audits.run(dir, db, "audits:\n" + audit.stripIndent()).get("t");
  }

  private String file() {
    return dir.resolve("audits/test.yaml").toString();
  }

  private static final String ISOLATION =
      """
      - id: t
        kind: consistent
        child: workflows.config_version_id
        parent: config_versions.id
        equal: [workspace_id]
      """;

  @Test
  void a_child_whose_workspace_differs_from_its_parents_is_a_violation() {
    AuditResult result = run(ISOLATION);
    assertThat(violations(result)).isEqualTo(4);
    assertThat(rowsChecked(result)).as("rows whose parent exists").isEqualTo(7);
    assertThat(samples(result))
        .containsExactly(
            Map.of(
                "id",
                "2",
                "config_version_id",
                "cv1",
                "workspace_id",
                B,
                "config_versions.workspace_id",
                A),
            sample(
                "id",
                "4",
                "config_version_id",
                "cv2",
                "workspace_id",
                null,
                "config_versions.workspace_id",
                B),
            sample(
                "id",
                "6",
                "config_version_id",
                "cv3",
                "workspace_id",
                A,
                "config_versions.workspace_id",
                null),
            Map.of(
                "id",
                "9",
                "config_version_id",
                "cv4",
                "workspace_id",
                B,
                "config_versions.workspace_id",
                A));
  }

  @Test
  void nulls_ignore_checks_only_rows_with_values_on_both_sides() {
    AuditResult result = run(ISOLATION + "  nulls: ignore\n");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result)).isEqualTo(7);
  }

  @Test
  void filters_apply_to_both_sides() {
    AuditResult result =
        run(
            """
            - id: t
              kind: consistent
              child:
                table: workflows
                columns: [config_version_id]
                where: {kind: a}
              parent:
                table: config_versions
                columns: [id]
                where: {status: {ne: DRAFT}}
              equal: {workspace_id: workspace_id}
            """);
    // kind a with a non-DRAFT parent: 1, 2, 5; only 2 differs
    assertThat(violations(result)).isEqualTo(1);
    assertThat(rowsChecked(result)).isEqualTo(3);
  }

  @Test
  void consistent_rows_report_zero() {
    AuditResult result =
        run(
            """
            - id: t
              kind: consistent
              child: {table: workflows, column: config_version_id, where: {id: [1, 3, 5]}}
              parent: config_versions.id
              equal: [workspace_id]
            """);
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(rowsChecked(result)).isEqualTo(3);
  }

  @Test
  void a_text_column_compared_with_a_uuid_is_compared_as_text_and_counted_once() {
    String yaml =
        """
        audits:
          - id: t
            kind: consistent
            child: text_workflows.config_version_id
            parent: config_versions.id
            equal: [workspace_id]
        """;
    AuditResult result = Audits.run(dir, db, yaml).get("t");
    assertThat(violations(result)).isEqualTo(1 + 1); // row 2 ('A' is not A's text) + the mismatch
    assertThat(samples(result).get(0))
        .isEqualTo(
            Map.of(
                "type_mismatch",
                "text_workflows.workspace_id text <> config_versions.workspace_id uuid"));
    assertThat(Audits.warnings(dir, db, yaml))
        .singleElement()
        .asString()
        .startsWith(
            file()
                + ":6: warning: audit 't': key 'equal': type mismatch: text_workflows.workspace_id"
                + " is text but config_versions.workspace_id is uuid");
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            Audits.problems(
                dir,
                db,
                """
                audits:
                  - id: t
                    kind: consistent
                    child: workflows.config_version_id
                    parent: loose_versions.id
                    equal: [workspace]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'parent.columns': loose_versions(id) is not a primary key or"
                + " unique key, so a child row could reach several parent rows; a consistency check"
                + " needs the reference to name one parent row");
    assertThat(
            Audits.problems(
                dir,
                db,
                """
                audits:
                  - id: t
                    kind: consistent
                    child: workflows.config_version_id
                    parent: config_versions.id
                    equal: {workspace: workspace_id}
                """))
        .containsExactly(
            file()
                + ":6: audit 't': key 'equal': column workflows.workspace does not exist (did you"
                + " mean workspace_id?)");
    assertThat(
            Audits.problems(
                dir,
                db,
                """
                audits:
                  - id: t
                    kind: consistent
                    child: workflows.config_version_id
                    parent: config_versions.id
                """))
        .containsExactly(
            file()
                + ":2: audit 't': key 'equal': is required: the columns that must equal the"
                + " parent's, e.g. [workspace_id]");
  }
}
