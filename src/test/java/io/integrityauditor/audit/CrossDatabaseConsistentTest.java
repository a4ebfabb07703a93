package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kind: consistent} whose parent lives in another database (issue 17, point 1), on two real
 * PostgreSQL servers: every case runs twice on identical data, once with child and parent in one
 * database (the same-database audit) and once with the parent read from the other server, and both
 * must give the same violations, rows checked and sample keys, with exact expected values.
 */
class CrossDatabaseConsistentTest {
  private static final String A = "aaaaaaaa-1111-4111-8111-111111111111";
  private static final String B = "bbbbbbbb-2222-4222-8222-222222222222";

  /** Parent tables: created identically in the child's database and on the other server. */
  private static final String PARENTS =
      """
      CREATE TABLE config_versions (id text PRIMARY KEY, workspace_id uuid, status text NOT NULL);
      INSERT INTO config_versions VALUES ('cv1', '$A', 'ACTIVE'), ('cv2', '$B', 'ACTIVE'),
        ('cv3', NULL, 'ACTIVE'), ('cv4', '$A', 'DRAFT');
      CREATE TABLE prices (sku text, region int, amount numeric(10, 2), currency text,
                           qty bigint, PRIMARY KEY (sku, region));
      INSERT INTO prices VALUES ('a', 1, 1.50, 'EUR', 5), ('a', 2, 2.00, 'USD', 6),
        ('b', 1, 3.25, 'EUR', 7), ('c', 1, NULL, 'EUR', 8);
      CREATE TABLE accounts (id bigint PRIMARY KEY, grp integer);
      INSERT INTO accounts SELECT i, i % 50 FROM generate_series(1, 20000) i WHERE i % 9 <> 0;
      ANALYZE;
      """
          .replace("$A", A)
          .replace("$B", B);

  private static final String CHILDREN =
      """
      CREATE TABLE workflows (id int PRIMARY KEY, workspace_id uuid, config_version_id text,
                              kind text NOT NULL);
      INSERT INTO workflows VALUES
        (1, '$A', 'cv1', 'a'),      -- same workspace
        (2, '$B', 'cv1', 'a'),      -- violation: B's workflow on A's config
        (3, '$B', 'cv2', 'b'),
        (4, NULL, 'cv2', 'b'),        -- violation: NULL vs B
        (5, NULL, 'cv3', 'a'),        -- NULL vs NULL: consistent
        (6, '$A', 'cv3', 'b'),      -- violation: A vs NULL
        (7, '$A', 'cv-gone', 'a'),  -- missing parent: the orphan audit's job
        (8, '$A', NULL, 'a'),       -- no reference
        (9, '$B', 'cv4', 'a');      -- violation, unless DRAFT parents are filtered out
      CREATE TABLE text_workflows (id int PRIMARY KEY, workspace_id text, config_version_id text);
      INSERT INTO text_workflows VALUES (1, '$A', 'cv1'), (2, 'A', 'cv1'),
        (3, upper('$B'), 'cv2'), (4, '$B', 'cv2');
      CREATE TABLE order_lines (id int PRIMARY KEY, sku text, region int, price numeric(12, 3),
                                cur text, qty integer);
      INSERT INTO order_lines VALUES
        (1, 'a', 1, 1.5, 'EUR', 5),     -- 1.500 = 1.50: equal by value
        (2, 'a', 2, 2.01, 'USD', 6),    -- price differs
        (3, 'b', 1, 3.25, 'eur', 7),    -- currency differs (case)
        (4, 'b', 1, 3.25, 'EUR', 70),   -- quantity differs (integer against bigint)
        (5, 'c', 1, NULL, 'EUR', 8),    -- NULL = NULL
        (6, 'c', 1, 0, 'EUR', 8),       -- 0 against NULL
        (7, 'd', 1, 1, 'EUR', 1),       -- no parent
        (8, NULL, 1, 1, 'EUR', 1),      -- NULL in the key: not checked
        (9, 'a', NULL, 1, 'EUR', 1);
      -- 30,000 rows: every ninth account is missing, and one row in three has the wrong group
      CREATE TABLE members (id bigint PRIMARY KEY, account_id bigint, grp integer);
      INSERT INTO members SELECT i, (i * 7919) % 25000 + 1,
          CASE WHEN i % 3 = 0 THEN -1 ELSE ((i * 7919) % 25000 + 1) % 50 END
        FROM generate_series(1, 30000) i;
      CREATE INDEX members_account ON members (account_id);
      ANALYZE;
      """
          .replace("$A", A)
          .replace("$B", B);

  static TestPostgres.Database same;
  static TestPostgres.Database parents;

  @TempDir Path dir;

  @BeforeAll
  static void databases() {
    same = TestPostgres.newDatabase("xdbc_same");
    parents = TestPostgres.newDatabaseOnOtherServer("xdbc_parents");
    same.execute(PARENTS + CHILDREN);
    parents.execute(PARENTS);
  }

  private Map<String, TestPostgres.Database> targets() {
    Map<String, TestPostgres.Database> targets = new LinkedHashMap<>();
    targets.put("app", same);
    targets.put("customers", parents);
    return targets;
  }

  /**
   * Runs the audit (YAML after {@code kind: consistent}, with {@code PARENT_TARGET} where the
   * parent's mapping may name a target) once in one database and once across the two servers;
   * asserts both agree and returns the cross-database result.
   */
  private AuditResult sameAnswers(String audit) {
    String yaml =
        "defaults:\n  target: app\naudits:\n"
            + entry("same", audit.replace("PARENT_TARGET", ""))
            + entry("cross", audit.replace("PARENT_TARGET", "target: customers, "));
    Map<String, AuditResult> results = Audits.run(dir, targets(), null, yaml);
    AuditResult inOne = results.get("same");
    AuditResult across = results.get("cross");
    assertThat(across.status()).as(String.valueOf(across.error())).isEqualTo(inOne.status());
    assertThat(across.audit().targets()).containsExactly("app", "customers");
    assertThat(across.measurement().orElseThrow().violations())
        .isEqualTo(inOne.measurement().orElseThrow().violations());
    assertThat(across.measurement().orElseThrow().rowsChecked())
        .isEqualTo(inOne.measurement().orElseThrow().rowsChecked());
    assertThat(samples(across)).isEqualTo(samples(inOne));
    assertThat(across.thresholdBreached()).isEqualTo(inOne.thresholdBreached());
    assertThat(across.measurement().orElseThrow().notes())
        .isEqualTo(inOne.measurement().orElseThrow().notes());
    return across;
  }

  private static String entry(String id, String audit) {
    StringBuilder yaml = new StringBuilder("  - id: " + id + "\n    kind: consistent\n");
    for (String line : audit.stripIndent().strip().split("\n")) {
      yaml.append("    ").append(line).append('\n');
    }
    return yaml.toString();
  }

  private static long violations(AuditResult result) {
    assertThat(result.status()).isIn(RunStatus.OK, RunStatus.VIOLATIONS);
    return result.measurement().orElseThrow().violations();
  }

  private static long rowsChecked(AuditResult result) {
    return result.measurement().orElseThrow().rowsChecked();
  }

  private static List<Map<String, String>> samples(AuditResult result) {
    return result.measurement().orElseThrow().samples().stream().map(SampleKey::values).toList();
  }

  /** A sample with NULL values (Map.of refuses them). */
  private static Map<String, String> sample(String... pairs) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return map;
  }

  private static final String ISOLATION =
      """
      child: workflows.config_version_id
      parent: {PARENT_TARGET table: config_versions, columns: [id]}
      equal: [workspace_id]
      """;

  @Test
  void workspace_isolation_across_servers_finds_the_same_rows_with_is_distinct_from_semantics() {
    AuditResult result = sameAnswers(ISOLATION);
    assertThat(violations(result)).isEqualTo(4);
    assertThat(rowsChecked(result)).as("rows whose parent exists").isEqualTo(7);
    assertThat(samples(result))
        .containsExactly(
            sample(
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
            sample(
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
  void nulls_ignore_checks_only_pairs_with_values_on_both_sides() {
    AuditResult result = sameAnswers(ISOLATION + "nulls: ignore\n");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result)).isEqualTo(7);
  }

  @Test
  void filters_apply_on_both_sides_with_the_parent_filter_read_on_the_parents_server() {
    AuditResult result =
        sameAnswers(
            """
            child: {table: workflows, columns: [config_version_id], where: {kind: a}}
            parent: {PARENT_TARGET table: config_versions, columns: [id], where: {status: {ne: DRAFT}}}
            equal: [workspace_id]
            """);
    // kind a with an ACTIVE parent: rows 1, 2, 5 (7 has no parent, 8 no reference, 9 a DRAFT one)
    assertThat(violations(result)).isEqualTo(1);
    assertThat(rowsChecked(result)).isEqualTo(3);
    assertThat(samples(result))
        .containsExactly(
            sample(
                "id",
                "2",
                "config_version_id",
                "cv1",
                "workspace_id",
                B,
                "config_versions.workspace_id",
                A));
  }

  @Test
  void composite_keys_and_several_pairs_compare_numbers_by_value_and_text_byte_wise() {
    AuditResult result =
        sameAnswers(
            """
            child: {table: order_lines, columns: [sku, region]}
            parent: {PARENT_TARGET table: prices, columns: [sku, region]}
            equal: {price: amount, cur: currency, qty: qty}
            type_mismatch: note
            """);
    // rows 2 (price), 3 (currency case), 4 (quantity), 6 (0 against NULL); 7 has no parent,
    // 8 and 9 a NULL in the key
    assertThat(violations(result)).isEqualTo(4);
    assertThat(rowsChecked(result)).isEqualTo(6);
    assertThat(samples(result).stream().map(s -> s.get("id")).toList())
        .containsExactly("2", "3", "4", "6");
    assertThat(samples(result).get(0))
        .isEqualTo(
            sample(
                "id",
                "2",
                "sku",
                "a",
                "region",
                "2",
                "price",
                "2.010",
                "cur",
                "USD",
                "qty",
                "6",
                "prices.amount",
                "2.00",
                "prices.currency",
                "USD",
                "prices.qty",
                "6"));
    assertThat(result.measurement().orElseThrow().notes())
        .containsExactly(
            "type mismatch: order_lines.qty is integer but prices.qty is bigint; compared natively");
  }

  @Test
  void a_uuid_stored_as_text_compares_by_its_text_form_and_the_mismatch_counts_once() {
    AuditResult result =
        sameAnswers(
            """
            child: text_workflows.config_version_id
            parent: {PARENT_TARGET table: config_versions, columns: [id]}
            equal: [workspace_id]
            """);
    // row 2 ('A' is not A's text), row 3 (upper case is another text), and the mismatch
    assertThat(violations(result)).isEqualTo(2 + 1);
    assertThat(rowsChecked(result)).isEqualTo(4);
    assertThat(samples(result).get(0))
        .isEqualTo(
            Map.of(
                "type_mismatch",
                "text_workflows.workspace_id text <> config_versions.workspace_id uuid"));
  }

  @Test
  void many_differences_over_several_batches_keep_the_complete_same_sample_and_threshold() {
    AuditResult result =
        sameAnswers(
            """
            child: members.account_id
            parent: {PARENT_TARGET table: accounts, columns: [id]}
            equal: [grp]
            sample_size: 25
            threshold: {max_ratio: 0.5}
            """);
    long expected =
        same.queryLong(
            "SELECT count(*) FROM members m JOIN accounts a ON a.id = m.account_id"
                + " WHERE m.grp IS DISTINCT FROM a.grp");
    long checked =
        same.queryLong("SELECT count(*) FROM members m JOIN accounts a ON a.id = m.account_id");
    assertThat(expected).isGreaterThan(3 * 1_000);
    assertThat(violations(result)).isEqualTo(expected);
    assertThat(rowsChecked(result)).isEqualTo(checked);
    assertThat(samples(result)).hasSize(25);
    assertThat(result.thresholdBreached()).isFalse();
  }

  @Test
  void validation_binds_the_compared_columns_against_the_parents_own_catalog() {
    List<String> problems;
    try {
      Audits.run(
          dir,
          targets(),
          null,
          """
          audits:
            - id: t
              kind: consistent
              target: app
              child: workflows.config_version_id
              parent: {target: customers, table: config_versions, columns: [id]}
              equal: {workspace_id: workspace}
          """);
      problems = List.of();
    } catch (ConfigException e) {
      problems =
          e.problems().stream()
              .map(ConfigProblem::format)
              .map(line -> line.replace(dir.toString() + "/", ""))
              .toList();
    }
    assertThat(problems)
        .containsExactly(
            "audits/test.yaml:7: audit 't': key 'equal': column config_versions.workspace does"
                + " not exist (did you mean workspace_id?)");
  }

  @Test
  void validate_passes_and_explain_prints_both_streams_with_their_targets_and_plans() {
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: isolation
            kind: consistent
            target: app
            child: workflows.config_version_id
            parent: {target: customers, table: config_versions, columns: [id]}
            equal: [workspace_id]
        """);
    Path config = workspace.config(targets(), null, "");
    CliRunner.Outcome validate = CliRunner.execute("validate", config);
    assertThat(validate.code()).as(validate.err()).isEqualTo(ExitCodes.CLEAN);
    CliRunner.Outcome explain = CliRunner.execute("explain", config, "isolation");
    assertThat(explain.code()).as(explain.err()).isEqualTo(ExitCodes.CLEAN);
    String out = explain.out();
    assertThat(out)
        .contains("-- runs across databases: one READ ONLY transaction on app")
        .contains("candidate violations are re-checked on customers");
    String childStream =
        out.substring(out.indexOf("-- statement 1"), out.indexOf("-- statement 2"));
    assertThat(childStream)
        .contains("-- statement 1 on target app")
        .contains("\"workflows\"")
        .contains("\"workspace_id\"")
        .contains("-- EXPLAIN");
    String parentStream =
        out.substring(out.indexOf("-- statement 3"), out.indexOf("-- statement 4"));
    assertThat(parentStream)
        .contains("-- statement 3 on target customers")
        .contains("\"config_versions\"")
        .contains("\"workspace_id\"");
    assertThat(out.substring(out.indexOf("-- statement 4")))
        .contains("-- statement 4 on target customers")
        .contains("with ordinality");
  }
}
