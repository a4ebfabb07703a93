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
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kind: schema}: catalog-only checks whose violations are missing or mismatched items. */
class SchemaAuditTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("schema_kind");
    db.execute(
        """
        CREATE EXTENSION IF NOT EXISTS pgcrypto;
        CREATE TABLE workspaces (id uuid PRIMARY KEY);
        CREATE TABLE config_versions (
          id text PRIMARY KEY,
          workspace_id uuid NOT NULL REFERENCES workspaces (id),
          status text NOT NULL CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')),
          version integer NOT NULL CHECK (version > 0),
          label varchar(64));
        CREATE UNIQUE INDEX config_versions_one_active ON config_versions (workspace_id)
          WHERE status = 'ACTIVE';
        CREATE INDEX config_versions_status ON config_versions (status);
        CREATE TABLE workflow_instances (id text PRIMARY KEY, workspace_id text);
        CREATE TABLE small (id integer PRIMARY KEY);
        CREATE TABLE big_ref (id integer PRIMARY KEY, small_id bigint REFERENCES small (id));
        CREATE SCHEMA other;
        CREATE TABLE other.t (id integer PRIMARY KEY, small_id integer REFERENCES small (id));
        """);
  }

  private Map<String, AuditResult> run(String audits) {
    return Audits.run(dir, db, "audits:\n" + audits.stripIndent());
  }

  private List<String> problems(String audit) {
    return Audits.problems(dir, db, "audits:\n" + audit.stripIndent());
  }

  private String file() {
    return dir.resolve("audits/test.yaml").toString();
  }

  private static final String ALL_PRESENT =
      """
      - id: t
        kind: schema
        extensions: [pgcrypto]
        tables: [workspaces, public.config_versions]
        columns:
          config_versions: {id: text, workspace_id: uuid, version: integer, label: varchar(64)}
        constraints:
          - {table: config_versions, name: config_versions_workspace_id_fkey, type: foreign_key}
        indexes:
          - table: config_versions
            name: config_versions_one_active
            unique: true
            partial: true
            columns: [workspace_id]
        min_foreign_keys: {count: 1, tables: [config_versions]}
        min_check_constraints: {count: 2, tables: [config_versions]}
        type_alignment: none
      """;

  @Test
  void a_schema_with_every_item_reports_zero_and_counts_the_items_checked() {
    AuditResult result = run(ALL_PRESENT).get("t");
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(rowsChecked(result)).isEqualTo(1 + 2 + 4 + 1 + 1 + 1 + 1);
  }

  @Test
  void not_null_constraints_are_not_counted_as_checks() {
    // PostgreSQL 18 lists NOT NULL as constraints too (contype 'n'): 3 here, not CHECKs
    AuditResult result =
        run(ALL_PRESENT.replace(
                "count: 2, tables: [config_versions]", "count: 3, tables: [config_versions]"))
            .get("t");
    assertThat(samples(result))
        .containsExactly(
            Map.of(
                "item", "check constraints on 1 listed tables",
                "problem", "found 2, expected at least 3"));
  }

  @Test
  void missing_and_mismatched_items_are_violations_named_in_the_samples() {
    AuditResult result =
        run("""
                - id: t
                  kind: schema
                  extensions: [pgcrypto, postgis]
                  tables: [workspaces, regions]
                  columns:
                    workflow_instances: {workspace_id: uuid, site_id: null}
                    regions: [id]
                  constraints:
                    - {table: config_versions, name: config_versions_status_check, type: unique}
                  indexes:
                    - {table: config_versions, name: one_active_per_workspace}
                    - {table: config_versions, name: config_versions_status, unique: true, partial: true}
                  min_foreign_keys: 45
                  type_alignment: none
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(9);
    assertThat(rowsChecked(result)).isEqualTo(2 + 2 + 3 + 1 + 2 + 1);
    assertThat(samples(result))
        .containsExactly(
            Map.of("item", "extension postgis", "problem", "not installed"),
            Map.of("item", "table regions", "problem", "missing"),
            Map.of(
                "item", "column workflow_instances.workspace_id",
                "problem", "is text, expected uuid"),
            Map.of("item", "column workflow_instances.site_id", "problem", "missing"),
            Map.of("item", "column regions.id", "problem", "table regions is missing"),
            Map.of(
                "item", "constraint config_versions.config_versions_status_check",
                "problem", "is check, expected unique"),
            Map.of("item", "index config_versions.one_active_per_workspace", "problem", "missing"),
            Map.of(
                "item", "index config_versions.config_versions_status",
                "problem", "is not unique, not partial (no WHERE)"),
            Map.of(
                "item", "foreign keys on 1 listed tables",
                "problem", "found 0, expected at least 45"));
  }

  @Test
  void foreign_keys_and_the_references_of_other_audits_must_have_their_keys_types() {
    AuditResult result =
        run("""
                - id: wi_ws
                  kind: orphan
                  child: workflow_instances.workspace_id
                  parent: workspaces.id
                - id: t
                  kind: schema
                  schemas: [public]
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result))
        .as("2 foreign keys in public, 1 declared reference")
        .isEqualTo(3);
    assertThat(samples(result))
        .containsExactly(
            Map.of(
                "item", "foreign key big_ref.big_ref_small_id_fkey (small_id) -> small (id)",
                "problem", "type mismatch: big_ref.small_id bigint <> small.id integer"),
            Map.of(
                "item",
                    "reference workflow_instances(workspace_id) -> workspaces(id) (audit 'wi_ws')",
                "problem",
                    "type mismatch: workflow_instances.workspace_id text <> workspaces.id uuid"));
  }

  @Test
  void the_catalog_is_read_again_at_every_run() {
    String audit =
        """
        - id: t
          kind: schema
          tables: [late_table]
          type_alignment: none
        """;
    assertThat(violations(run(audit).get("t"))).isEqualTo(1);
    db.execute("CREATE TABLE late_table (id int)");
    try {
      assertThat(violations(run(audit).get("t"))).isZero();
    } finally {
      db.execute("DROP TABLE late_table");
    }
  }

  @Test
  void a_table_locked_by_a_migration_does_not_block_a_schema_audit() throws Exception {
    try (Connection locker = db.dataSource().getConnection()) {
      locker.setAutoCommit(false);
      try (Statement statement = locker.createStatement()) {
        statement.execute("LOCK TABLE config_versions IN ACCESS EXCLUSIVE MODE");
      }
      AuditResult result =
          run(ALL_PRESENT.replace(
                  "type_alignment: none", "type_alignment: none\n  lock_timeout: 1s"))
              .get("t");
      assertThat(result.status()).as(result.error().toString()).isEqualTo(RunStatus.OK);
      locker.rollback();
    }
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            problems(
                """
                - id: t
                  kind: schema
                  constraints:
                    - {table: config_versions, name: x, type: fk}
                  min_foreign_keys: lots
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'constraints[0].type': must be one of primary_key, unique,"
                + " foreign_key, check, exclusion, found 'fk'",
            file()
                + ":6: audit 't': key 'min_foreign_keys': expected a whole number, found 'lots'");
    assertThat(
            problems(
                """
                - id: t
                  kind: schema
                  type_alignment: none
                """))
        .containsExactly(
            file()
                + ":2: audit 't': key 'extensions': a schema audit needs something to check:"
                + " extensions, tables, columns, constraints, indexes, min_foreign_keys,"
                + " min_check_constraints or type_alignment");
    assertThat(
            problems(
                """
                - id: t
                  kind: schema
                  indexes:
                    - {table: config_versions, name: x, uniqe: true}
                """))
        .singleElement()
        .asString()
        .startsWith(
            file() + ":5: audit 't': key 'indexes[0].uniqe': unknown key (did you mean unique?)");
  }
}
