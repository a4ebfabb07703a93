package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Orphan audits whose parent lives in another database (issue 17), on two real PostgreSQL servers:
 * every case runs twice on identical data, once with child and parent in one database (the
 * same-database audit) and once with the parent read from the other server, and both must give the
 * same violations, rows checked and sample keys, with exact expected values.
 */
class CrossDatabaseOrphanTest {
  /** Parent tables: created identically in the child's database and on the other server. */
  private static final String PARENTS =
      """
      CREATE TABLE parent_text (id text PRIMARY KEY, status text NOT NULL);
      INSERT INTO parent_text SELECT 'p' || i, CASE WHEN i <= 2 THEN 'DRAFT' ELSE 'ACTIVE' END
        FROM generate_series(1, 10) i;
      CREATE TABLE parent_int (id integer PRIMARY KEY);
      INSERT INTO parent_int SELECT generate_series(1, 100);
      CREATE TABLE parent_uuid (id uuid PRIMARY KEY);
      INSERT INTO parent_uuid VALUES ('00000000-0000-4000-8000-000000000001'),
                                     ('00000000-0000-4000-8000-000000000002');
      CREATE TABLE stage (instance_id text, stage_no int, PRIMARY KEY (instance_id, stage_no));
      INSERT INTO stage VALUES ('a', 1), ('a', 2), ('b', 1);
      CREATE SCHEMA "Billing";
      CREATE TABLE "Billing"."Customer" ("customerId" text PRIMARY KEY);
      INSERT INTO "Billing"."Customer" VALUES ('c1'), ('c2');
      CREATE TABLE tags (name text);
      INSERT INTO tags VALUES ('red'), ('red'), ('blue');
      -- an ICU collation: its index order is not the byte order the merge needs
      CREATE TABLE words (w text COLLATE "und-x-icu" PRIMARY KEY);
      INSERT INTO words VALUES ('apple'), ('Banana'), ('banana'), ('_x'), ('Zed'), ('éclair'),
        ('straße'), ('10'), ('9'), ('a b'), ('ab'), ('😀');
      -- texts that COPY's CSV quotes or escapes: the streams must read them back exactly
      CREATE TABLE odd_parent (id text PRIMARY KEY);
      INSERT INTO odd_parent VALUES ('a"b'), ('c,d'), ('e\\f'), ('x\ny'), ('t\tu'), ('r\r'),
        ('é✓😀'), (''), ('\\N'), ('NULL'), (' lead'), ('""');
      CREATE TABLE big_parent (id bigint PRIMARY KEY);
      INSERT INTO big_parent SELECT i FROM generate_series(1, 20000) i WHERE i % 7 <> 0;
      ANALYZE;
      """;

  private static final String CHILDREN =
      """
      CREATE TABLE child_text (id int PRIMARY KEY, parent_id text, kind text NOT NULL);
      INSERT INTO child_text SELECT i, 'p' || (1 + i % 10), CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END
        FROM generate_series(1, 20) i;
      INSERT INTO child_text VALUES (21, 'x1', 'a'), (22, 'x2', 'b'), (23, 'x3', 'b');
      INSERT INTO child_text VALUES (24, NULL, 'a'), (25, NULL, 'a'), (26, NULL, 'b'), (27, NULL, 'b');
      CREATE TABLE child_bigint (id bigint PRIMARY KEY, parent_id bigint);
      INSERT INTO child_bigint SELECT i, i FROM generate_series(1, 105) i;
      CREATE TABLE child_uuid (id serial PRIMARY KEY, ref uuid);
      INSERT INTO child_uuid (ref) VALUES ('00000000-0000-4000-8000-000000000001'),
                                          ('00000000-0000-4000-8000-000000000002'),
                                          ('00000000-0000-4000-8000-000000000009');
      CREATE TABLE text_ref (id int PRIMARY KEY, ref text);
      INSERT INTO text_ref VALUES (1, '00000000-0000-4000-8000-000000000001'),
                                  (2, '00000000-0000-4000-8000-000000000002'),
                                  (3, 'not-a-uuid'), (4, NULL),
                                  (5, '00000000-0000-4000-8000-00000000000A');
      CREATE TABLE approval (id int PRIMARY KEY, instance_id text, stage_no int);
      INSERT INTO approval VALUES (1, 'a', 1), (2, 'a', 2), (3, 'b', 1),
        (4, 'b', 2), (5, 'c', 1), (6, NULL, 1), (7, 'a', NULL), (8, NULL, NULL);
      CREATE TABLE "Billing"."Invoice" (id int PRIMARY KEY, "customerId" text);
      INSERT INTO "Billing"."Invoice" VALUES (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4');
      CREATE TABLE tagged (id int PRIMARY KEY, tag text);
      INSERT INTO tagged VALUES (1, 'red'), (2, 'blue'), (3, 'green');
      CREATE TABLE word_ref (id int PRIMARY KEY, w text COLLATE "und-x-icu");
      INSERT INTO word_ref VALUES (1, 'apple'), (2, 'Apple'), (3, 'banana'), (4, 'Banana'),
        (5, 'bananas'), (6, '_x'), (7, 'Zed'), (8, 'zed'), (9, 'éclair'), (10, 'eclair'),
        (11, 'straße'), (12, 'strasse'), (13, '10'), (14, '9'), (15, '100'), (16, 'a b'),
        (17, 'ab'), (18, 'a'), (19, '😀'), (20, '😁'), (21, 'ﬀ');
      CREATE INDEX word_ref_w ON word_ref (w);
      -- 30,000 rows: every seventh id below 20,000 and everything above it has no parent
      CREATE TABLE odd_child (id int PRIMARY KEY, ref text);
      INSERT INTO odd_child VALUES (1, 'a"b'), (2, 'c,d'), (3, 'e\\f'), (4, 'x\ny'), (5, 't\tu'),
        (6, 'r\r'), (7, 'é✓😀'), (8, ''), (9, '\\N'), (10, 'NULL'), (11, ' lead'), (12, '""'),
        (13, NULL), (14, 'a"b"'), (15, 'c,d,'), (16, 'e\\\\f'), (17, 'x\r\ny'), (18, '\t'),
        (19, 'é✓'), (20, ' '), (21, '\\n'), (22, 'null'), (23, 'lead'), (24, '"'), (25, 'a"b');
      CREATE INDEX ON odd_child (ref COLLATE "C");
      CREATE TABLE big_child (id bigint PRIMARY KEY, parent_id integer, note text);
      INSERT INTO big_child SELECT i, (i * 7919) % 25000 + 1, 'n' || i FROM generate_series(1, 30000) i;
      CREATE INDEX big_child_parent ON big_child (parent_id);
      -- chunked runs across databases read ranges of the reference (text in byte order)
      CREATE INDEX ON child_text (parent_id COLLATE "C");
      CREATE INDEX ON child_bigint (parent_id);
      CREATE INDEX ON child_uuid (ref);
      CREATE INDEX ON text_ref (ref COLLATE "C");
      CREATE INDEX ON approval (instance_id COLLATE "C");
      CREATE INDEX ON "Billing"."Invoice" ("customerId" COLLATE "C");
      CREATE INDEX ON tagged (tag COLLATE "C");
      CREATE INDEX ON word_ref (w COLLATE "C");
      ANALYZE;
      """;

  static TestPostgres.Database same;
  static TestPostgres.Database parents;

  @TempDir Path dir;

  @BeforeAll
  static void databases() {
    same = TestPostgres.newDatabase("xdb_same");
    parents = TestPostgres.newDatabaseOnOtherServer("xdb_parents");
    same.execute(PARENTS + CHILDREN);
    parents.execute(PARENTS);
  }

  /** The latest {@link #sameAnswers} run across the two servers in chunks. */
  private AuditResult chunked;

  /**
   * Runs the audit (YAML after {@code kind: orphan}, with {@code PARENT_TARGET} where the parent's
   * mapping may name a target) once in one database, once across the two servers, and once across
   * them in chunks of about 10 ms ({@code mode: chunked}, ranges of the reference on both servers);
   * asserts all three agree and returns the cross-database result.
   */
  private AuditResult sameAnswers(String audit) {
    String base = audit.stripIndent().strip();
    String other = base.replace("PARENT_TARGET", "target: customers, ");
    String yaml =
        "defaults:\n  target: app\naudits:\n"
            + entry("same", base.replace("PARENT_TARGET", ""))
            + entry("cross", other)
            + entry("chunked", other + "\nmode: chunked\nchunk_target: 10ms");
    Map<String, TestPostgres.Database> targets = new LinkedHashMap<>();
    targets.put("app", same);
    targets.put("customers", parents);
    Map<String, AuditResult> results = Audits.run(dir, targets, null, yaml);
    AuditResult inOne = results.get("same");
    AuditResult across = results.get("cross");
    assertThat(across.status()).as(String.valueOf(across.error())).isEqualTo(inOne.status());
    assertThat(across.measurement().orElseThrow().violations())
        .isEqualTo(inOne.measurement().orElseThrow().violations());
    assertThat(across.measurement().orElseThrow().rowsChecked())
        .isEqualTo(inOne.measurement().orElseThrow().rowsChecked());
    assertThat(samples(across)).isEqualTo(samples(inOne));
    chunked = results.get("chunked");
    assertThat(chunked.status()).as(String.valueOf(chunked.error())).isEqualTo(inOne.status());
    assertThat(chunked.info().mode()).isEqualTo(RunInfo.Mode.CHUNKED);
    assertThat(chunked.measurement().orElseThrow().violations())
        .isEqualTo(inOne.measurement().orElseThrow().violations());
    assertThat(chunked.measurement().orElseThrow().rowsChecked())
        .isEqualTo(inOne.measurement().orElseThrow().rowsChecked());
    assertThat(samples(chunked)).isEqualTo(samples(inOne));
    return across;
  }

  private static String entry(String id, String audit) {
    StringBuilder yaml = new StringBuilder("  - id: " + id + "\n    kind: orphan\n");
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

  @Test
  void finds_text_orphans_across_servers_and_ignores_null_references_by_default() {
    AuditResult result =
        sameAnswers(
            """
            child: child_text.parent_id
            parent: {PARENT_TARGET table: parent_text, columns: [id]}
            """);
    assertThat(violations(result)).isEqualTo(3);
    assertThat(rowsChecked(result)).isEqualTo(27);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "21", "parent_id", "x1"),
            Map.of("id", "22", "parent_id", "x2"),
            Map.of("id", "23", "parent_id", "x3"));
  }

  @Test
  void texts_with_quotes_commas_backslashes_line_breaks_and_non_ascii_match_exactly() {
    AuditResult result =
        sameAnswers(
            """
            child: odd_child.ref
            parent: {PARENT_TARGET table: odd_parent, columns: [id]}
            nulls: violation
            """);
    // rows 14 to 24 differ from a parent by one character (or are the NULL of row 13)
    assertThat(violations(result)).isEqualTo(12);
    assertThat(rowsChecked(result)).isEqualTo(25);
    assertThat(samples(result).stream().map(sample -> sample.get("id")).sorted().toList())
        .containsExactlyInAnyOrder(
            "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24");
  }

  @Test
  void counts_null_references_as_violations_when_mandatory() {
    AuditResult result =
        sameAnswers(
            """
            child: child_text.parent_id
            parent: {PARENT_TARGET table: parent_text, columns: [id]}
            nulls: violation
            """);
    assertThat(violations(result)).isEqualTo(7);
    assertThat(rowsChecked(result)).isEqualTo(27);
  }

  @Test
  void applies_filters_on_both_sides_with_the_parent_filter_read_on_the_parents_server() {
    AuditResult result =
        sameAnswers(
            """
            child: {table: child_text, columns: [parent_id], where: {kind: a}}
            parent: {PARENT_TARGET table: parent_text, columns: [id], where: {status: {ne: DRAFT}}}
            """);
    // kind a: ids 2,4,...,20 → p3,p5,p7,p9,p1 (p1 is DRAFT: ids 10 and 20), plus 21 (x1)
    assertThat(violations(result)).isEqualTo(3);
    assertThat(rowsChecked(result)).isEqualTo(13);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "10", "parent_id", "p1"),
            Map.of("id", "20", "parent_id", "p1"),
            Map.of("id", "21", "parent_id", "x1"));
  }

  @Test
  void composite_keys_follow_each_null_policy() {
    String audit =
        """
        child: {table: approval, columns: [instance_id, stage_no]}
        parent: {PARENT_TARGET table: stage, columns: [instance_id, stage_no]}
        """;
    assertThat(violations(sameAnswers(audit))).isEqualTo(2);
    assertThat(violations(sameAnswers(audit + "nulls: violation\n"))).isEqualTo(5);
    AuditResult full = sameAnswers(audit + "nulls: match_full\n");
    assertThat(violations(full)).isEqualTo(4);
    assertThat(rowsChecked(full)).isEqualTo(8);
  }

  @Test
  void integer_widths_compare_by_value_and_the_type_mismatch_is_reported_like_in_one_database() {
    AuditResult result =
        sameAnswers(
            """
            child: child_bigint.parent_id
            parent: {PARENT_TARGET table: parent_int, columns: [id]}
            """);
    // five orphans (101..105) and the bigint-vs-integer mismatch
    assertThat(violations(result)).isEqualTo(6);
    assertThat(rowsChecked(result)).isEqualTo(105);
    assertThat(samples(result).get(0))
        .isEqualTo(
            Map.of("type_mismatch", "child_bigint.parent_id bigint <> parent_int.id integer"));
    assertThat(result.measurement().orElseThrow().notes())
        .contains(
            "type mismatch: child_bigint.parent_id is bigint but parent_int.id is integer;"
                + " compared natively");
  }

  @Test
  void uuid_references_compare_natively_and_uuids_stored_as_text_by_their_text_form() {
    AuditResult uuids =
        sameAnswers(
            """
            child: child_uuid.ref
            parent: {PARENT_TARGET table: parent_uuid, columns: [id]}
            """);
    assertThat(violations(uuids)).isEqualTo(1);
    assertThat(samples(uuids))
        .containsExactly(Map.of("id", "3", "ref", "00000000-0000-4000-8000-000000000009"));

    AuditResult text =
        sameAnswers(
            """
            child: text_ref.ref
            parent: {PARENT_TARGET table: parent_uuid, columns: [id]}
            """);
    // 'not-a-uuid' and the upper-case spelling (its text differs) plus the mismatch itself
    assertThat(violations(text)).isEqualTo(3);
    assertThat(rowsChecked(text)).isEqualTo(5);
  }

  @Test
  void text_keys_compare_byte_wise_whatever_the_collation_and_characters() {
    AuditResult result =
        sameAnswers(
            """
            child: word_ref.w
            parent: {PARENT_TARGET table: words, columns: [w]}
            """);
    assertThat(violations(result)).isEqualTo(9);
    // ﬀ (U+FB00) sorts before 😀 (U+1F600) in code point order, after it in UTF-16's
    assertThat(samples(result).stream().map(s -> s.get("w")).toList())
        .containsExactlyInAnyOrder(
            "100", "Apple", "a", "bananas", "eclair", "strasse", "zed", "ﬀ", "😁");
  }

  @Test
  void quoted_schema_table_and_column_names_are_read_on_both_servers() {
    AuditResult result =
        sameAnswers(
            """
            child: {table: '"Billing"."Invoice"', columns: [customerId]}
            parent: {PARENT_TARGET table: '"Billing"."Customer"', columns: [customerId]}
            """);
    assertThat(violations(result)).isEqualTo(2);
  }

  @Test
  void a_parent_key_listed_twice_does_not_count_a_child_twice() {
    AuditResult result =
        sameAnswers(
            """
            child: tagged.tag
            parent: {PARENT_TARGET table: tags, columns: [name]}
            """);
    assertThat(violations(result)).isEqualTo(1);
    assertThat(rowsChecked(result)).isEqualTo(3);
  }

  @Test
  void many_orphans_over_several_batches_keep_the_complete_same_sample() {
    AuditResult result =
        sameAnswers(
            """
            child: big_child.parent_id
            parent: {PARENT_TARGET table: big_parent, columns: [id]}
            sample_size: 20
            """);
    long expected =
        same.queryLong(
            "SELECT count(*) FROM big_child c WHERE NOT EXISTS"
                + " (SELECT 1 FROM big_parent p WHERE p.id = c.parent_id)");
    assertThat(expected).isGreaterThan(5_000);
    assertThat(violations(result)).isEqualTo(expected + 1); // and the integer/bigint mismatch
    assertThat(rowsChecked(result)).isEqualTo(30_000);
    assertThat(samples(result)).hasSize(20);
    // ranges of parent_id from its statistics: many statements, each bounded on both servers
    assertThat(chunked.info().chunks()).isGreaterThan(1);
  }
}
