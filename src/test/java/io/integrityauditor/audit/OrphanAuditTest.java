package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.SampleKey;
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

/** Orphan detection on a real PostgreSQL with exact expected counts. */
class OrphanAuditTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("orphans");
    db.execute(
        """
        CREATE TABLE parent_text (id text PRIMARY KEY, status text NOT NULL);
        INSERT INTO parent_text SELECT 'p' || i, CASE WHEN i <= 2 THEN 'DRAFT' ELSE 'ACTIVE' END
          FROM generate_series(1, 10) i;
        CREATE TABLE child_text (id int PRIMARY KEY, parent_id text, kind text NOT NULL);
        -- 20 good rows (p1..p10), 3 orphans, 4 NULLs; kinds split the rows for filters
        INSERT INTO child_text SELECT i, 'p' || (1 + i % 10), CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END
          FROM generate_series(1, 20) i;
        INSERT INTO child_text VALUES (21, 'x1', 'a'), (22, 'x2', 'b'), (23, 'x3', 'b');
        INSERT INTO child_text VALUES (24, NULL, 'a'), (25, NULL, 'a'), (26, NULL, 'b'), (27, NULL, 'b');

        CREATE TABLE parent_int (id integer PRIMARY KEY);
        INSERT INTO parent_int SELECT generate_series(1, 100);
        CREATE TABLE child_bigint (id bigint PRIMARY KEY, parent_id bigint);
        INSERT INTO child_bigint SELECT i, i FROM generate_series(1, 105) i;   -- 101..105 orphans

        CREATE TABLE parent_uuid (id uuid PRIMARY KEY);
        INSERT INTO parent_uuid VALUES ('00000000-0000-4000-8000-000000000001'),
                                       ('00000000-0000-4000-8000-000000000002');
        CREATE TABLE child_uuid (id serial PRIMARY KEY, ref uuid);
        INSERT INTO child_uuid (ref) VALUES ('00000000-0000-4000-8000-000000000001'),
                                            ('00000000-0000-4000-8000-000000000002'),
                                            ('00000000-0000-4000-8000-000000000009');

        CREATE TABLE text_ref (id int PRIMARY KEY, ref text);   -- a uuid key referenced as text
        INSERT INTO text_ref VALUES (1, '00000000-0000-4000-8000-000000000001'),
                                    (2, '00000000-0000-4000-8000-000000000002'),
                                    (3, 'not-a-uuid'), (4, NULL);

        CREATE TABLE stage (instance_id text, stage_no int, PRIMARY KEY (instance_id, stage_no));
        INSERT INTO stage VALUES ('a', 1), ('a', 2), ('b', 1);
        CREATE TABLE approval (id int PRIMARY KEY, instance_id text, stage_no int);
        INSERT INTO approval VALUES (1, 'a', 1), (2, 'a', 2), (3, 'b', 1),
          (4, 'b', 2), (5, 'c', 1),                -- 2 orphans
          (6, NULL, 1), (7, 'a', NULL), (8, NULL, NULL);   -- partial and full NULLs

        CREATE SCHEMA "Billing";
        CREATE TABLE "Billing"."Customer" ("customerId" text PRIMARY KEY);
        INSERT INTO "Billing"."Customer" VALUES ('c1'), ('c2');
        CREATE TABLE "Billing"."Invoice" (id int PRIMARY KEY, "customerId" text);
        INSERT INTO "Billing"."Invoice" VALUES (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4');

        CREATE TABLE tags (name text);   -- parent without any key: duplicates must not double-count
        INSERT INTO tags VALUES ('red'), ('red'), ('blue');
        CREATE TABLE tagged (id int PRIMARY KEY, tag text);
        INSERT INTO tagged VALUES (1, 'red'), (2, 'blue'), (3, 'green');

        -- an old dump's table: no primary key, a unique index on a NOT NULL id (Booktown's shipments)
        CREATE TABLE shipments (id integer NOT NULL, customer_id integer, isbn text);
        CREATE UNIQUE INDEX shipments_ship_id_key ON shipments (id);
        INSERT INTO shipments VALUES (5, 107, 'a'), (3, 107, 'b'), (9, 107, 'a'), (4, 1, 'b'), (7, NULL, 'c');
        CREATE TABLE customers (id integer PRIMARY KEY);
        INSERT INTO customers VALUES (1);
        CREATE TABLE no_key (customer_id integer);   -- no key at all
        INSERT INTO no_key VALUES (107), (107), (1);

        -- partitioning before PostgreSQL 10 (danbooru's favorites_0..99): children INHERIT the
        -- parent, whose primary key is declared ONLY on the parent; a child has no key of its own
        CREATE TABLE favorites (id integer NOT NULL, user_id integer, post_id integer);
        ALTER TABLE ONLY favorites ADD CONSTRAINT favorites_pkey PRIMARY KEY (id);
        CREATE TABLE favorites_7 (CHECK (user_id % 10 = 7)) INHERITS (favorites);
        CREATE TABLE favorites_7_old () INHERITS (favorites_7);   -- a grandchild
        INSERT INTO favorites_7 VALUES (1, 107, 5), (2, 107, 6), (3, 107, 7), (4, 7, 5);
        INSERT INTO favorites_7_old VALUES (5, 107, 8), (6, 107, 8);

        CREATE TABLE events (id bigint, created date NOT NULL, parent_id text) PARTITION BY RANGE (created);
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO events VALUES (1, '2025-03-01', 'p1'), (2, '2025-04-01', 'zz'),
                                  (3, '2026-02-01', 'p2'), (4, '2026-05-01', 'yy');
        """);
  }

  private Map<String, AuditResult> run(String audits) {
    return Audits.run(dir, db, "audits:\n" + audits.stripIndent());
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
  void finds_text_orphans_and_ignores_null_references_by_default() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_text.parent_id
                  parent: parent_text.id
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(3);
    assertThat(rowsChecked(result)).isEqualTo(27);
    assertThat(result.status()).isEqualTo(RunStatus.VIOLATIONS);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "21", "parent_id", "x1"),
            Map.of("id", "22", "parent_id", "x2"),
            Map.of("id", "23", "parent_id", "x3"));
  }

  @Test
  void counts_null_references_when_the_audit_says_they_are_mandatory() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_text.parent_id
                  parent: parent_text.id
                  nulls: violation
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(7);
  }

  @Test
  void filters_the_child_side() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child:
                    table: child_text
                    columns: [parent_id]
                    where: {kind: b}
                  parent: parent_text.id
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result)).isEqualTo(14); // 10 good, 2 orphans, 2 NULLs of kind b
  }

  @Test
  void a_reference_to_a_parent_that_fails_the_parent_filter_is_broken() {
    // p1 and p2 are DRAFT: children 1, 10, 11, 20 (p2, p1, p2, p1) now count too
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_text.parent_id
                  parent:
                    table: parent_text
                    column: id
                    where:
                      status: {ne: DRAFT}
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(3 + 4);
  }

  @Test
  void compares_int_with_bigint_and_counts_the_type_mismatch_as_a_violation() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_bigint.parent_id
                  parent: parent_int.id
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(5 + 1);
    assertThat(rowsChecked(result)).isEqualTo(105);
    assertThat(samples(result))
        .startsWith(
            Map.of("type_mismatch", "child_bigint.parent_id bigint <> parent_int.id integer"))
        .contains(Map.of("id", "101", "parent_id", "101"));
    assertThat(result.measurement().orElseThrow().notes())
        .containsExactly(
            "type mismatch: child_bigint.parent_id is bigint but parent_int.id is integer;"
                + " compared natively");
  }

  @Test
  void a_type_mismatch_can_be_reported_as_a_note_only() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_bigint.parent_id
                  parent: parent_int.id
                  type_mismatch: note
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(5);
    assertThat(samples(result)).allSatisfy(s -> assertThat(s).doesNotContainKey("type_mismatch"));
    assertThat(result.measurement().orElseThrow().notes()).hasSize(1);
  }

  @Test
  void finds_uuid_orphans() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_uuid.ref
                  parent: parent_uuid.id
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(1);
    assertThat(samples(result))
        .containsExactly(Map.of("id", "3", "ref", "00000000-0000-4000-8000-000000000009"));
  }

  @Test
  void a_text_reference_to_a_uuid_key_is_compared_as_text_and_the_mismatch_counts() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: text_ref.ref
                  parent: parent_uuid.id
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(1 + 1);
    assertThat(rowsChecked(result)).isEqualTo(4);
    assertThat(samples(result))
        .containsExactly(
            Map.of("type_mismatch", "text_ref.ref text <> parent_uuid.id uuid"),
            Map.of("id", "3", "ref", "not-a-uuid"));
  }

  @Test
  void checks_composite_keys_with_match_simple_by_default() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: {table: approval, columns: [instance_id, stage_no]}
                  parent: {table: stage, columns: [instance_id, stage_no]}
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "4", "instance_id", "b", "stage_no", "2"),
            Map.of("id", "5", "instance_id", "c", "stage_no", "1"));
  }

  @Test
  void match_full_flags_partially_null_composite_references() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: {table: approval, columns: [instance_id, stage_no]}
                  parent: {table: stage, columns: [instance_id, stage_no]}
                  nulls: match_full
                """)
            .get("t");
    // 2 orphans + (NULL, 1) + ('a', NULL); (NULL, NULL) is fine
    assertThat(violations(result)).isEqualTo(4);
  }

  @Test
  void resolves_schema_qualified_and_case_sensitive_names() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: '"Billing"."Invoice"."customerId"'
                  parent: {table: Billing.Customer, column: customerId}
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(samples(result))
        .containsExactly(
            Map.of("id", "3", "customerId", "c3"), Map.of("id", "4", "customerId", "c4"));
  }

  @Test
  void a_parent_without_unique_key_does_not_double_count_children() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: tagged.tag
                  parent: tags.name
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(1);
    assertThat(rowsChecked(result)).isEqualTo(3);
  }

  @Test
  void audits_a_partitioned_table_as_one_table() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: events.parent_id
                  parent: parent_text.id
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(2);
    assertThat(rowsChecked(result)).isEqualTo(4);
  }

  @Test
  void a_clean_reference_reports_zero_violations_and_status_ok() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: {table: child_text, column: parent_id, where: {id: {lte: 20}}}
                  parent: parent_text.id
                """)
            .get("t");
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(violations(result)).isZero();
    assertThat(rowsChecked(result)).isEqualTo(20);
    assertThat(samples(result)).isEmpty();
  }

  @Test
  void keeps_at_most_sample_size_keys_but_counts_every_violation() {
    AuditResult result =
        run("""
                - id: t
                  kind: orphan
                  child: child_text.parent_id
                  parent: parent_text.id
                  nulls: violation
                  sample_size: 2
                """)
            .get("t");
    assertThat(violations(result)).isEqualTo(7);
    assertThat(samples(result)).hasSize(2);
  }

  @Test
  void threshold_decides_whether_violations_breach() {
    Map<String, AuditResult> results =
        run(
            """
            - id: tolerated
              kind: orphan
              child: child_text.parent_id
              parent: parent_text.id
              threshold: {max_violations: 3}
            - id: ratio
              kind: orphan
              child: child_text.parent_id
              parent: parent_text.id
              threshold: {max_ratio: 0.1}
            """);
    assertThat(results.get("tolerated").thresholdBreached()).isFalse();
    assertThat(results.get("tolerated").status()).isEqualTo(RunStatus.VIOLATIONS);
    assertThat(results.get("ratio").thresholdBreached()).isTrue(); // 3/27 > 0.1
  }

  @Test
  void samples_of_a_table_without_primary_key_name_its_unique_index_columns() {
    Map<String, AuditResult> results =
        run(
            """
            - id: shipments
              kind: orphan
              child: shipments.customer_id
              parent: customers.id
            - id: no_key
              kind: orphan
              child: no_key.customer_id
              parent: customers.id
            """);
    // three orphan rows of one customer: three keys, told apart by the unique index's column
    assertThat(violations(results.get("shipments"))).isEqualTo(3);
    assertThat(samples(results.get("shipments")))
        .containsExactly(
            Map.of("id", "3", "customer_id", "107"),
            Map.of("id", "5", "customer_id", "107"),
            Map.of("id", "9", "customer_id", "107"));
    // without any key the rows cannot be told apart: every violation counted, one key shown
    assertThat(violations(results.get("no_key"))).isEqualTo(2);
    assertThat(samples(results.get("no_key"))).containsExactly(Map.of("customer_id", "107"));
  }

  @Test
  void samples_of_an_inheritance_child_name_the_primary_key_of_the_table_it_inherits() {
    Map<String, AuditResult> results =
        run(
            """
            - id: favorites_7
              kind: orphan
              child: favorites_7.user_id
              parent: parent_int.id
            - id: favorites_7_old
              kind: orphan
              child: favorites_7_old.user_id
              parent: parent_int.id
            """);
    // five orphan rows of user 107 (the child read with its own child): five keys, told apart by
    // the id the parent's primary key declares, not one key 'user_id=107'
    assertThat(violations(results.get("favorites_7"))).isEqualTo(5);
    assertThat(samples(results.get("favorites_7")))
        .containsExactly(
            Map.of("id", "1", "user_id", "107"),
            Map.of("id", "2", "user_id", "107"),
            Map.of("id", "3", "user_id", "107"),
            Map.of("id", "5", "user_id", "107"),
            Map.of("id", "6", "user_id", "107"));
    // a grandchild: the key is inherited through its parent, which has none of its own
    assertThat(samples(results.get("favorites_7_old")))
        .containsExactly(Map.of("id", "5", "user_id", "107"), Map.of("id", "6", "user_id", "107"));
  }
}
