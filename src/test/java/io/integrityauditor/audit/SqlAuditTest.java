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

/** {@code kind: sql}: a custom query's rows are the violations; it can never write. */
class SqlAuditTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("sql_kind");
    db.execute(
        """
        CREATE TABLE workspaces (id int PRIMARY KEY, code text NOT NULL, settings jsonb NOT NULL);
        INSERT INTO workspaces VALUES (1, 'A', '{"name": "a"}'), (2, 'B', '{}'), (3, 'C', '{}'),
                                      (4, 'D', '{"name": "d"}');
        CREATE TABLE config_versions (id text PRIMARY KEY, workspace_id int, status text);
        INSERT INTO config_versions VALUES ('a6', 1, 'ACTIVE'), ('b6', 2, 'ACTIVE'),
          ('c7', 3, 'DRAFT'), ('d1', 4, 'ARCHIVED');   -- C and D have no ACTIVE version
        CREATE FUNCTION sneaky_delete() RETURNS SETOF int LANGUAGE sql
          AS $$ DELETE FROM workspaces RETURNING id $$;
        CREATE FUNCTION sneaky_drop() RETURNS int LANGUAGE plpgsql
          AS $$ BEGIN EXECUTE 'DROP TABLE config_versions'; RETURN 1; END $$;
        CREATE FUNCTION fail_if_called() RETURNS boolean LANGUAGE plpgsql
          AS $$ BEGIN RAISE EXCEPTION 'called'; END $$;
        """);
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

  private static final String WITHOUT_ACTIVE =
      """
      - id: t
        kind: sql
        allow_privileged_role: true # the tests' PostgreSQL role is its superuser
        sql: |
          -- every workspace has an ACTIVE config version
          SELECT w.id, w.code
          FROM workspaces w
          WHERE NOT EXISTS (SELECT 1 FROM config_versions cv
                            WHERE cv.workspace_id = w.id AND cv.status = 'ACTIVE');
        key_columns: [id, code]
      """;

  @Test
  void the_rows_of_the_query_are_the_violations_and_key_columns_the_samples() {
    AuditResult result = run(WITHOUT_ACTIVE);
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result)).as("no rows_checked: the rows returned").isEqualTo(2);
    assertThat(samples(result))
        .containsExactly(Map.of("id", "3", "code", "C"), Map.of("id", "4", "code", "D"));
  }

  @Test
  void rows_checked_counts_a_table_with_its_filter() {
    assertThat(rowsChecked(run(WITHOUT_ACTIVE + "  rows_checked: workspaces\n"))).isEqualTo(4);
    AuditResult filtered =
        run(WITHOUT_ACTIVE + "  rows_checked: {table: workspaces, where: {id: {gte: 2}}}\n");
    assertThat(rowsChecked(filtered)).isEqualTo(3);
    assertThat(violations(filtered)).isEqualTo(2);
  }

  @Test
  void a_query_without_rows_is_clean_and_the_jsonb_operator_is_written_doubled() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              allow_privileged_role: true # the tests' PostgreSQL role is its superuser
              sql: SELECT id FROM workspaces WHERE settings ?? 'name' AND code = 'B'
              key_columns: [id]
            """);
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(violations(result)).isZero();
    assertThat(
            violations(
                run(
                    """
                    - id: t
                      kind: sql
                      allow_privileged_role: true # the tests' PostgreSQL role is its superuser
                      sql: SELECT id FROM workspaces WHERE NOT settings ?? 'name'
                      key_columns: [id]
                    """)))
        .isEqualTo(2);
  }

  @Test
  void keeps_at_most_sample_size_keys_but_counts_every_row() {
    AuditResult result = run(WITHOUT_ACTIVE + "  sample_size: 1\n");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(samples(result)).hasSize(1);
  }

  @Test
  void a_query_calling_a_function_that_deletes_fails_read_only_and_deletes_nothing() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              allow_privileged_role: true # the tests' PostgreSQL role is its superuser
              sql: SELECT id FROM sneaky_delete() AS id
              key_columns: [id]
            """);
    assertThat(result.status()).isEqualTo(RunStatus.ERROR);
    assertThat(result.measurement()).isEmpty();
    assertThat(result.error().orElseThrow().errorClass()).isEqualTo("read_only");
    assertThat(result.error().orElseThrow().message())
        .contains("cannot execute DELETE in a read-only transaction")
        .contains("nothing was changed");
    assertThat(db.queryLong("SELECT count(*) FROM workspaces")).isEqualTo(4);
  }

  @Test
  void ddl_through_a_function_fails_read_only_and_drops_nothing() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              allow_privileged_role: true # the tests' PostgreSQL role is its superuser
              sql: SELECT sneaky_drop() AS id
              key_columns: [id]
            """);
    assertThat(result.error().orElseThrow().errorClass()).isEqualTo("read_only");
    assertThat(db.queryLong("SELECT count(*) FROM config_versions")).isEqualTo(4);
  }

  @Test
  void writing_statements_and_several_statements_are_rejected_before_anything_runs() {
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: DELETE FROM workspaces RETURNING id
                  key_columns: [id]
                """))
        .containsExactly(
            file()
                + ":4: audit 't': key 'sql': must be a query (SELECT, WITH ... SELECT, VALUES or"
                + " TABLE), found DELETE: audits only read, and run in READ ONLY transactions");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: "SELECT id FROM workspaces; UPDATE workspaces SET code = 'x'"
                  key_columns: [id]
                """))
        .containsExactly(
            file()
                + ":4: audit 't': key 'sql': only one statement is allowed: found more after the"
                + " ';' (an audit query is one SELECT)");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: "SELECT id FROM workspaces) q; DELETE FROM workspaces; SELECT 1 FROM (SELECT 1"
                  key_columns: [id]
                """))
        .containsExactly(
            file() + ":4: audit 't': key 'sql': unbalanced parentheses: a ')' closes nothing");
    // a data-modifying WITH cannot be a subquery: PostgreSQL says so when it is described
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: WITH d AS (DELETE FROM workspaces RETURNING id) SELECT id FROM d
                  key_columns: [id]
                """))
        .containsExactly(
            file()
                + ":4: audit 't': key 'sql': the query does not run on target app: ERROR: WITH"
                + " clause containing a data-modifying statement must be at the top level (it was"
                + " parsed only, not executed)");
    assertThat(db.queryLong("SELECT count(*) FROM workspaces")).isEqualTo(4);
  }

  @Test
  void literals_comments_and_dollar_quotes_are_not_mistaken_for_statements() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              allow_privileged_role: true # the tests' PostgreSQL role is its superuser
              sql: |
                /* a comment; with (a semicolon */ SELECT id, 'x;)' AS "we;ird"
                FROM workspaces WHERE code <> $tag$;?$tag$ -- trailing; comment
                ;
              key_columns: [id]
            """);
    assertThat(violations(result)).isEqualTo(4);
  }

  @Test
  void validation_describes_the_query_without_executing_it() {
    String audit =
        """
        - id: t
          kind: sql
          allow_privileged_role: true # the tests' PostgreSQL role is its superuser
          sql: SELECT id FROM workspaces WHERE fail_if_called()
          key_columns: [id]
        """;
    assertThat(problems(audit)).isEmpty();
    AuditResult result = run(audit);
    assertThat(result.status()).isEqualTo(RunStatus.ERROR);
    assertThat(result.error().orElseThrow().errorClass()).isEqualTo("sql_P0001");
  }

  @Test
  void the_query_runs_with_the_audits_statement_timeout() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              allow_privileged_role: true # the tests' PostgreSQL role is its superuser
              sql: SELECT id FROM workspaces WHERE pg_sleep(1) IS NOT NULL
              key_columns: [id]
              timeout: 300ms
            """);
    assertThat(result.status()).isEqualTo(RunStatus.TIMEOUT);
  }

  @Test
  void mistakes_are_named_with_line_key_and_fix() {
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: SELECT w.id AS workspace_id, w.code FROM workspaces w
                  key_columns: [workspace, code]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'key_columns': the query returns no column workspace (did you"
                + " mean workspace_id?); it returns: workspace_id, code");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: SELECT id FROM workspace
                  key_columns: [id]
                """))
        .containsExactly(
            file()
                + ":4: audit 't': key 'sql': the query does not run on target app: ERROR: relation"
                + " \"workspace\" does not exist (it was parsed only, not executed)");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: SELECT id FROM workspaces
                """))
        .containsExactly(
            file() + ":2: audit 't': key 'key_columns': is required: a list of column names");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: SELECT w.id, c.id FROM workspaces w JOIN config_versions c ON c.workspace_id = w.id
                  key_columns: [id]
                """))
        .containsExactly(
            file()
                + ":5: audit 't': key 'key_columns': the query returns several columns named id;"
                + " give them distinct names (SELECT a.id AS a_id, b.id AS b_id ...)");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: SELECT id FROM workspaces WHERE settings ? 'name'
                  key_columns: [id]
                """))
        .containsExactly(
            file()
                + ":4: audit 't': key 'sql': a bare ? would be read as a JDBC parameter; write ??"
                + " for the jsonb operator (?| and ?& as ??| and ??&), or use jsonb_exists()");
    assertThat(
            problems(
                """
                - id: t
                  kind: sql
                  sql: SELECT id FROM workspaces
                  key_columns: [id]
                  threshold: {max_ratio: 0.1}
                """))
        .containsExactly(
            file()
                + ":6: audit 't': key 'threshold.max_ratio': a ratio needs rows_checked (the rows a"
                + " violation is counted against): without it rows checked equals the rows the"
                + " query returns, so the ratio is always 1");
  }

  @Test
  void functions_with_effects_outside_the_transaction_are_refused_at_load_with_the_reason() {
    List<String> problems =
        problems(
            """
            - id: t
              kind: sql
              sql: >-
                SELECT id FROM workspaces
                WHERE lo_export(1, '/tmp/x') > 0
                  AND pg_catalog.PG_TERMINATE_BACKEND(1)
                  AND "pg_read_file"('postmaster.pid') <> ''
                  AND pg_advisory_lock(4242) IS NULL
                  AND set_config('work_mem', '1GB', false) <> ''
                  AND dblink_exec('dbname=x', 'DELETE FROM t') <> ''
                  AND query_to_xml('SELECT pg_reload_conf()', true, true, '') IS NOT NULL
                  AND 'lo_export(2)' <> '' -- lo_export(3) in a comment is no call
              key_columns: [id]
            """);
    String at = file() + ":4: audit 't': key 'sql': calls ";
    String remedy = ": an audit only reads; remove the call, or, if a reviewer agrees, add ";
    assertThat(problems)
        .containsExactly(
            at
                + "lo_export(), which reads or writes files on the database server"
                + remedy
                + "lo_export to allow_functions",
            at
                + "pg_terminate_backend(), which acts on other sessions or on the server"
                + remedy
                + "pg_terminate_backend to allow_functions",
            at
                + "pg_read_file(), which reads or writes files on the database server"
                + remedy
                + "pg_read_file to allow_functions",
            at
                + "pg_advisory_lock(), which keeps state in the pooled session beyond the audit's"
                + " transaction"
                + remedy
                + "pg_advisory_lock to allow_functions",
            at
                + "set_config(), which changes settings; give planner settings under the audit's"
                + " settings: key"
                + remedy
                + "set_config to allow_functions",
            at
                + "dblink_exec(), which runs SQL on another connection, outside the READ ONLY"
                + " transaction"
                + remedy
                + "dblink_exec to allow_functions",
            at
                + "query_to_xml(), which runs SQL given as a string, which no check of the query"
                + " can see into"
                + remedy
                + "query_to_xml to allow_functions");
  }

  @Test
  void a_function_a_reviewer_allowed_is_accepted_and_runs() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              allow_privileged_role: true
              allow_functions: [pg_try_advisory_xact_lock]
              sql: SELECT id FROM workspaces WHERE pg_try_advisory_xact_lock(7) AND id = 1
              key_columns: [id]
            """);
    assertThat(result.status()).isEqualTo(io.integrityauditor.run.RunStatus.VIOLATIONS);
    assertThat(result.measurement().orElseThrow().violations()).isEqualTo(1);
  }

  @Test
  void a_sql_audit_refuses_to_run_as_a_superuser_unless_the_audit_allows_it() {
    AuditResult result =
        run(
            """
            - id: t
              kind: sql
              sql: SELECT id FROM workspaces
              key_columns: [id]
            """);
    assertThat(result.status()).isEqualTo(io.integrityauditor.run.RunStatus.ERROR);
    assertThat(result.measurement()).isEmpty();
    assertThat(result.error().orElseThrow().errorClass()).isEqualTo("privileged_role");
    assertThat(result.error().orElseThrow().message())
        .isEqualTo(
            "not run: role postgres is a superuser, so a function this sql audit calls could"
                + " write server files or stop other sessions despite the READ ONLY transaction;"
                + " run the worker as a SELECT-only role (docs/configuration.md, \"The"
                + " least-privilege role\"), or set allow_privileged_role: true on the audit");
  }
}
