package io.integrityauditor.audit;

import static io.integrityauditor.support.Results.rowsChecked;
import static io.integrityauditor.support.Results.samples;
import static io.integrityauditor.support.Results.violations;
import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kind: unique}: duplicates of a column set, partial uniqueness and NULL semantics. */
class UniqueAuditTest {
  static TestPostgres.Database db;

  static final String A = "aaaaaaaa-0000-4000-8000-000000000001";
  static final String B = "bbbbbbbb-0000-4000-8000-000000000002";
  static final String C = "cccccccc-0000-4000-8000-000000000003";

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("unique_kind");
    db.execute(
        """
        CREATE TABLE config_versions (id text PRIMARY KEY, workspace_id uuid, status text NOT NULL,
                                      payload json);
        INSERT INTO config_versions VALUES
          ('a1', '%1$s', 'ACTIVE', NULL), ('a2', '%1$s', 'ACTIVE', NULL),   -- A: 2 ACTIVE
          ('a3', '%1$s', 'DRAFT', NULL), ('a4', '%1$s', 'DRAFT', NULL),     -- drafts: not ACTIVE
          ('b1', '%2$s', 'ACTIVE', NULL),                                   -- B: fine
          ('c1', '%3$s', 'ACTIVE', NULL), ('c2', '%3$s', 'ACTIVE', NULL),
          ('c3', '%3$s', 'ACTIVE', NULL),                                   -- C: 3 ACTIVE
          ('n1', NULL, 'ACTIVE', NULL), ('n2', NULL, 'ACTIVE', NULL);       -- no workspace
        CREATE TABLE resources (id int PRIMARY KEY, sst_stack_name text, sst_resource_id text);
        INSERT INTO resources VALUES
          (1, 's1', 'r1'), (2, 's1', 'r1'),                  -- duplicate pair
          (3, 's1', 'r2'),
          (4, 's2', 'r1'), (5, 's2', 'r1'), (6, 's2', 'r1'),  -- three of a kind
          (7, NULL, 'r9'), (8, NULL, 'r9'),                  -- NULL stack: not checked
          (9, 's3', NULL), (10, 's3', NULL);                 -- NULL resource: not checked
        """
            .formatted(A, B, C));
  }

  private AuditResult run(String audit) {
    return Audits.run(dir, db, "audits:\n" + audit.stripIndent()).get("t");
  }

  private List<String> problems(String audit) {
    return Audits.problems(dir, db, "audits:\n" + audit.stripIndent());
  }

  private String file() {
    return dir.resolve("audits/test.yaml").toString();
  }

  @Test
  void counts_every_row_of_a_workspace_with_more_than_one_active_version() {
    AuditResult result =
        run(
            """
            - id: t
              kind: unique
              table: config_versions
              columns: [workspace_id]
              where: {status: ACTIVE}
            """);
    assertThat(violations(result)).isEqualTo(2 + 3);
    assertThat(rowsChecked(result)).isEqualTo(8);
    assertThat(samples(result))
        .containsExactly(
            Map.of("workspace_id", A, "rows", "2"), Map.of("workspace_id", C, "rows", "3"));
  }

  @Test
  void groups_with_a_null_key_are_ignored_unless_nulls_are_equal() {
    AuditResult result =
        run(
            """
            - id: t
              kind: unique
              table: config_versions
              columns: [workspace_id]
              where: {status: ACTIVE}
              nulls: equal
            """);
    assertThat(violations(result)).isEqualTo(2 + 3 + 2);
    assertThat(samples(result))
        .contains(io.integrityauditor.support.Results.sample("workspace_id", null, "rows", "2"));
  }

  @Test
  void checks_a_composite_key_across_the_whole_table() {
    AuditResult result =
        run(
            """
            - id: t
              kind: unique
              table: resources
              columns: [sst_stack_name, sst_resource_id]
            """);
    assertThat(violations(result)).isEqualTo(2 + 3);
    assertThat(rowsChecked(result)).isEqualTo(10);
    assertThat(samples(result))
        .containsExactly(
            Map.of("sst_stack_name", "s1", "sst_resource_id", "r1", "rows", "2"),
            Map.of("sst_stack_name", "s2", "sst_resource_id", "r1", "rows", "3"));
  }

  @Test
  void max_allows_that_many_rows_per_group() {
    AuditResult result =
        run(
            """
            - id: t
              kind: unique
              table: resources
              columns: [sst_stack_name, sst_resource_id]
              max: 2
            """);
    assertThat(violations(result)).isEqualTo(3);
  }

  @Test
  void a_unique_column_set_reports_zero_and_status_ok() {
    AuditResult result =
        run(
            """
            - id: t
              kind: unique
              table: config_versions
              columns: [workspace_id]
              where: {status: DRAFT, id: {ne: a4}}
            """);
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(violations(result)).isZero();
    assertThat(rowsChecked(result)).isEqualTo(1);
    assertThat(samples(result)).isEmpty();
  }

  @Test
  void keeps_at_most_sample_size_groups_but_counts_every_row() {
    AuditResult result =
        run(
            """
            - id: t
              kind: unique
              table: resources
              columns: [sst_stack_name, sst_resource_id]
              sample_size: 1
            """);
    assertThat(violations(result)).isEqualTo(5);
    assertThat(samples(result)).hasSize(1);
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            problems(
                """
                - id: t
                  kind: unique
                  table: resources
                  columns: [sst_stack, sst_resource_id]
                  max: 0
                """))
        .containsExactly(
            file()
                + ":6: audit 't': key 'max': must be between 1 and 9223372036854775807, found 0");
    assertThat(
            problems(
                """
                - id: t
                  kind: unique
                  table: resources
                  columns: [sst_stack, sst_resource_id]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'columns': column resources.sst_stack does not exist (did you"
                + " mean sst_stack_name?)");
    assertThat(
            problems(
                """
                - id: t
                  kind: unique
                  table: resources
                """))
        .containsExactly(
            file() + ":2: audit 't': key 'columns': is required: a list of column names");
    assertThat(
            problems(
                """
                - id: t
                  kind: unique
                  table: config_versions
                  columns: [payload]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'columns': column payload is json, which has no equality"
                + " operator, so rows cannot be grouped by it (jsonb can)");
  }
}
