package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.cli.CliRunner.Outcome;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code explain AUDIT_ID}: the SQL the worker runs and PostgreSQL's plan for it. */
class ExplainCommandTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("explain_cli");
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int, status text);
        INSERT INTO parent SELECT generate_series(1, 5);
        INSERT INTO child SELECT i, i, 'ok' FROM generate_series(1, 6) i;
        CREATE FUNCTION fail_if_called() RETURNS boolean LANGUAGE plpgsql
          AS $$ BEGIN RAISE EXCEPTION 'called'; END $$;
        CREATE TABLE big_parent (id int PRIMARY KEY);
        CREATE TABLE big_child (id int PRIMARY KEY, parent_id int);
        INSERT INTO big_parent SELECT generate_series(1, 100000);
        INSERT INTO big_child SELECT i, i FROM generate_series(1, 100000) i;
        ANALYZE big_parent;
        ANALYZE big_child;
        -- nine rows in ten point at no parent: many violating rows, as the statistics know
        CREATE TABLE few_parents (id int PRIMARY KEY);
        CREATE TABLE mostly_orphans (id int PRIMARY KEY, parent_id int);
        INSERT INTO few_parents SELECT generate_series(1, 1000);
        INSERT INTO mostly_orphans
          SELECT i, CASE WHEN i % 10 = 0 THEN 1 + i % 1000 ELSE 100000 + i END
          FROM generate_series(1, 100000) i;
        ANALYZE few_parents;
        ANALYZE mostly_orphans;
        """);
  }

  private static final String AUDITS =
      """
      audits:
        - id: child.parent
          kind: orphan
          child: child.parent_id
          parent: parent.id
        - id: child.status
          kind: accepted_values
          table: child
          column: status
          values: [ok, failed]
        - id: custom
          kind: sql
          allow_privileged_role: true # the tests' PostgreSQL role is its superuser
          sql: SELECT id FROM child WHERE fail_if_called()
          key_columns: [id]
          rows_checked: child
        - id: shape
          kind: schema
          tables: [child]
        - id: big.small_work_mem
          kind: orphan
          child: big_child.parent_id
          parent: big_parent.id
          settings: {work_mem: 64kB}
        - id: mostly_orphans.parent
          kind: orphan
          child: mostly_orphans.parent_id
          parent: few_parents.id
          # workers as on a large table: the test's tables are under 8 MB
          settings: {parallel_setup_cost: 0, min_parallel_table_scan_size: 0}
        - id: big.chunked
          kind: orphan
          child: big_child.parent_id
          parent: big_parent.id
          mode: chunked
      """;

  private Outcome explain(String... args) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", AUDITS);
    Path config = workspace.config(db, null);
    return CliRunner.execute("explain", config, args);
  }

  /** The output of an explain that must succeed (exit 0; its stderr shown if it does not). */
  private String explainedCleanly(String... args) {
    Outcome outcome = explain(args);
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    return outcome.out();
  }

  @Test
  void prints_the_sql_and_the_plan_of_an_audit() {
    String out = explainedCleanly("child.parent");
    assertThat(out)
        .contains("-- audit child.parent (kind: orphan) on target app")
        .contains("statement_timeout 5m, lock_timeout 5s")
        .contains("-- statement 1")
        .contains("\"public\".\"parent\" as \"p\"")
        .contains("-- EXPLAIN");
    // the child is at least as large as the parent: the run checks the parent with a hashed
    // subplan, and explain shows that form, as the run would choose it
    assertThat(out).contains(") in (").containsPattern("-- .*SubPlan");
  }

  @Test
  void shows_the_join_form_the_run_falls_back_to_when_the_subplan_would_not_be_hashed() {
    // 100,000 parent keys do not fit in 64kB: PostgreSQL would re-read the parent for every
    // child row in the subplan form, so the run (and explain) use the join form: the aggregate's
    // left join, or, where the plan has parallel workers, the rows form's anti-join
    assertThat(explainedCleanly("big.small_work_mem"))
        .contains("left outer join \"public\".\"big_parent\" as \"p\"")
        .doesNotContain("SubPlan")
        .containsPattern("-- .*(Hash|Merge) ((Left|Right) )?(Anti )?Join");
  }

  @Test
  void many_violating_rows_are_still_found_by_parallel_workers() {
    // the rows form sends every violating row through the Gather; priced at PostgreSQL's default
    // parallel_tuple_cost the planner ran its anti-join without workers when the statistics
    // expect many violating rows (1.3-1.6 s slower at 1,000,000 of them, docs/performance.md)
    assertThat(explainedCleanly("mostly_orphans.parent"))
        .contains("-- statement 1")
        .containsPattern("-- .*Parallel Hash Anti Join")
        .doesNotContainPattern("-- +->  Hash Anti Join");
  }

  @Test
  void shows_bind_values_inlined_in_the_columns_type() {
    assertThat(explain("child.status").out())
        .contains("cast('ok' as \"pg_catalog\".\"text\")")
        .contains("cast('failed' as \"pg_catalog\".\"text\")");
  }

  @Test
  void plans_without_executing_unless_asked_to_analyze() {
    assertThat(explainedCleanly("custom"))
        .contains("SELECT id FROM child WHERE fail_if_called()")
        .contains("-- statement 2") // the rows_checked count
        .doesNotContain("actual time");
    Outcome analyzed = explain("custom", "--analyze");
    assertThat(analyzed.code()).isEqualTo(ExitCodes.COULD_NOT_RUN);
    assertThat(analyzed.err()).contains("error: [sql_P0001]").contains("called");
  }

  @Test
  void analyze_shows_actual_rows() {
    assertThat(explainedCleanly("child.parent", "--analyze"))
        .contains("-- EXPLAIN ANALYZE")
        .contains("actual");
  }

  @Test
  void a_schema_audit_explains_its_catalog_queries() {
    assertThat(explainedCleanly("shape")).contains("FROM pg_class c").contains("-- statement 6");
  }

  @Test
  void an_unknown_audit_id_is_a_configuration_error() {
    Outcome outcome = explain("child.parnt");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains("no audit has id 'child.parnt' (did you mean child.parent?)");
  }

  @Test
  void a_chunked_audit_shows_its_chunk_statement_and_how_many_key_ranges_a_run_makes() {
    String out = explainedCleanly("big.chunked");
    // ANALYZE's histogram of 100,000 distinct keys has 101 bounds: 99 inner ones, 100 ranges
    assertThat(out)
        .contains(
            "-- runs in chunks: 100 key ranges of public.big_child by id (about 100000 rows,"
                + " planned now from the table's statistics)")
        .contains("chunk_target 30s")
        .contains("-- chunk statement 1")
        .containsPattern("where \"c\"\\.\"id\" < cast\\('\\d+' as \"pg_catalog\"\\.\"int4\"\\)")
        .contains("-- EXPLAIN")
        .doesNotContain("runs in one READ ONLY transaction")
        .doesNotContain("-- chunk statement 2");
  }

  @Test
  void an_unknown_audit_id_names_the_argument_not_an_option() {
    Outcome outcome = explain("nope");
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .startsWith("command line: argument AUDIT_ID: no audit has id 'nope'")
        .doesNotContain("--audit")
        .doesNotContain("key '");
  }

  @Test
  void a_reference_across_databases_shows_each_statement_with_its_target_and_plan() {
    TestPostgres.Database remote = TestPostgres.newDatabaseOnOtherServer("explain_remote");
    remote.execute(
        """
        CREATE TABLE customers (id bigint PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 50000);
        ANALYZE customers;
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: across
            kind: orphan
            target: app
            child: big_child.parent_id
            parent: {target: remote, table: customers, columns: [id]}
        """);
    java.util.Map<String, TestPostgres.Database> targets = new java.util.LinkedHashMap<>();
    targets.put("app", db);
    targets.put("remote", remote);
    Outcome outcome = CliRunner.execute("explain", workspace.config(targets, null, ""), "across");
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.CLEAN);
    String out = outcome.out();
    assertThat(out).contains("-- runs across databases: one READ ONLY transaction on app");
    assertThat(out)
        .contains("-- statement 1 on target app")
        .contains("-- statement 2 on target app");
    assertThat(out)
        .contains("-- statement 3 on target remote")
        .contains("-- statement 4 on target remote");
    // both streams come in key order from an index, without a sort
    String parentStream =
        out.substring(out.indexOf("-- statement 3"), out.indexOf("-- statement 4"));
    assertThat(parentStream)
        .contains("Index Only Scan using customers_pkey")
        .doesNotContain("Sort");
    assertThat(out.substring(out.indexOf("-- statement 1"), out.indexOf("-- statement 2")))
        .contains("big_child")
        .contains("order by");
  }
}
