package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Samples hold min(violations, sample_size) keys, chosen by fingerprint of the whole key, for every
 * kind and in every mode: composite keys whose first column is constant (issue 13: five orphans of
 * one actor showed two keys), NULLs in keys, and full, chunked and incremental runs over the same
 * data agreeing key for key.
 */
class CompleteSamplesTest {
  private static final int SAMPLE_SIZE = 5;

  @TempDir Path dir;

  /** The film_actor case: every violating row has the same actor_id. */
  @ParameterizedTest(name = "{0} orphans")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6})
  void every_mode_shows_the_same_complete_sample_of_orphans_sharing_their_first_key_column(
      int orphans) {
    TestPostgres.Database target = TestPostgres.newDatabase("complete_modes_" + orphans);
    TestPostgres.Database store = TestPostgres.newDatabase("complete_modes_store_" + orphans);
    target.execute(
        """
        CREATE TABLE film (id int PRIMARY KEY);
        INSERT INTO film SELECT i FROM generate_series(1, 100) i;
        CREATE TABLE film_actor (actor_id int, film_id int, seq bigint NOT NULL,
                                 PRIMARY KEY (actor_id, film_id));
        CREATE INDEX film_actor_seq ON film_actor (seq);
        INSERT INTO film_actor SELECT i / 100, i % 100 + 1, i FROM generate_series(0, 19999) i;
        ANALYZE film; ANALYZE film_actor;
        """);
    String incremental = audit("inc", "mode: incremental\nwatermark: seq");
    AuditResult sweep = run(target, store, incremental);
    assertThat(Results.violations(sweep)).isZero();
    // the orphans arrive after the sweep: the incremental run reads only them
    target.execute(
        "INSERT INTO film_actor SELECT 7, 1000 + j, 100000 + j FROM generate_series(1, "
            + orphans
            + ") j");

    AuditResult full = run(target, store, audit("full", "mode: full"));
    AuditResult chunked = run(target, store, audit("chunked", "mode: chunked\nchunk_target: 20ms"));
    AuditResult increment = run(target, store, incremental);

    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(chunked.info().mode()).isEqualTo(RunInfo.Mode.CHUNKED);
    assertThat(chunked.info().chunks()).as("statements").isGreaterThan(1);
    for (AuditResult result : List.of(full, chunked, increment)) {
      assertThat(Results.violations(result)).isEqualTo(orphans);
    }
    List<Map<String, String>> expected = new ArrayList<>();
    // the documented rule, computed independently: the smallest fingerprints of the whole key,
    // shown in key order
    for (Map<String, Object> row :
        target.query(
            "SELECT actor_id, film_id FROM (SELECT actor_id, film_id FROM film_actor"
                + " WHERE film_id > 100 ORDER BY hashtextextended(ARRAY[actor_id::text,"
                + " film_id::text]::text, 0) LIMIT "
                + SAMPLE_SIZE
                + ") s ORDER BY actor_id, film_id")) {
      expected.add(
          Map.of(
              "actor_id", row.get("actor_id").toString(),
              "film_id", row.get("film_id").toString()));
    }
    assertThat(expected).hasSize(Math.min(orphans, SAMPLE_SIZE));
    assertThat(Results.samples(full)).isEqualTo(expected);
    assertThat(Results.samples(chunked)).isEqualTo(expected);
    assertThat(Results.samples(increment)).isEqualTo(expected);
  }

  private static String audit(String id, String extra) {
    return """
        audits:
          - id: %s
            kind: orphan
            child: film_actor.film_id
            parent: film.id
            sample_size: %d
        %s
        """
        .formatted(id, SAMPLE_SIZE, extra.indent(4).stripTrailing());
  }

  private AuditResult run(TestPostgres.Database target, TestPostgres.Database store, String yaml) {
    return Audits.run(dir, target, store, yaml).values().iterator().next();
  }

  /** Each kind over its own rows of a table whose primary key starts with a constant tenant. */
  private static final Map<String, String> KINDS = kinds();

  private static Map<String, String> kinds() {
    Map<String, String> kinds = new LinkedHashMap<>();
    kinds.put("orphan", "kind: orphan\nchild: child.parent_id\nparent: parent.id");
    kinds.put("unique", "kind: unique\ntable: child\ncolumns: [tenant, code]");
    kinds.put(
        "consistent", "kind: consistent\nchild: child.parent_id\nparent: parent.id\nequal: [grp]");
    kinds.put(
        "accepted_values", "kind: accepted_values\ntable: child\ncolumn: status\nvalues: [ok]");
    kinds.put(
        "required_when",
        "kind: required_when\ntable: child\nwhen: {flagged: true}\npresent: [note]");
    kinds.put(
        "polymorphic",
        "kind: polymorphic\ntable: child\ntype_column: type\nid_column: poly_id\n"
            + "parents: {parent: parent.id}");
    kinds.put(
        "sql",
        "kind: sql\nsql: SELECT NULL::int AS tenant, id FROM child WHERE id > 60 AND id <= 70"
            + " AND note = 'sql'\nkey_columns: [tenant, id]\nallow_privileged_role: true");
    return kinds;
  }

  /**
   * {@code violations} rows (pairs of rows for unique: one group each) break each kind; a sample
   * shows every one of them up to the sample size, one per duplicate group.
   */
  @ParameterizedTest(name = "{0} violations")
  @ValueSource(ints = {1, 3, 5, 6, 9})
  void every_kind_shows_min_of_violations_and_sample_size_keys(int violations) {
    TestPostgres.Database db = TestPostgres.newDatabase("complete_kinds_" + violations);
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY, grp text);
        INSERT INTO parent SELECT i, 'g' FROM generate_series(1, 10) i;
        CREATE TABLE child (tenant int, id int, parent_id int, poly_id int, code text, status text,
                            flagged boolean, note text, type text, grp text,
                            PRIMARY KEY (tenant, id));
        INSERT INTO child SELECT 1, i, 1 + i % 10, 1 + i % 10, 'c' || i, 'ok', false, NULL,
                                 'parent', 'g'
          FROM generate_series(1, 100) i;
        """);
    // rows 1-10: orphans; 11-30: duplicate code pairs; 31-40: another group; 41-50: bad
    // status; 51-60: flagged without note; 61-70: the sql audit's; 71-80: dangling poly_id
    db.execute(
        ("UPDATE child SET parent_id = 1000 + id WHERE id BETWEEN 1 AND 0 + %1$d;"
                + "UPDATE child SET code = 'dup' || ((id - 11) / 2) WHERE id BETWEEN 11 AND 10 + 2 *"
                + " %1$d;"
                + "UPDATE child SET grp = 'other' WHERE id BETWEEN 31 AND 30 + %1$d;"
                + "UPDATE child SET status = 'bad' WHERE id BETWEEN 41 AND 40 + %1$d;"
                + "UPDATE child SET flagged = true WHERE id BETWEEN 51 AND 50 + %1$d;"
                + "UPDATE child SET note = 'sql' WHERE id BETWEEN 61 AND 60 + %1$d;"
                + "UPDATE child SET poly_id = 2000 + id WHERE id BETWEEN 71 AND 70 + %1$d;")
            .formatted(violations));
    StringBuilder yaml = new StringBuilder("audits:\n");
    KINDS.forEach(
        (kind, spec) ->
            yaml.append("  - id: ")
                .append(kind)
                .append("\n    sample_size: ")
                .append(SAMPLE_SIZE)
                .append('\n')
                .append(spec.indent(4)));
    Map<String, AuditResult> results = Audits.run(dir, db, yaml.toString());

    assertThat(results.keySet()).containsExactlyElementsOf(KINDS.keySet());
    results.forEach(
        (kind, result) -> {
          long expectedViolations = kind.equals("unique") ? 2L * violations : violations;
          assertThat(Results.violations(result)).as(kind).isEqualTo(expectedViolations);
          List<Map<String, String>> samples = Results.samples(result);
          assertThat(samples).as(kind).hasSize(Math.min(violations, SAMPLE_SIZE));
          assertThat(samples).as(kind).doesNotHaveDuplicates();
        });
    assertThat(Results.samples(results.get("sql")))
        .allSatisfy(key -> assertThat(key).containsEntry("tenant", null));
    assertThat(Results.samples(results.get("unique")))
        .allSatisfy(key -> assertThat(key).containsEntry("tenant", "1").containsEntry("rows", "2"));
    if (violations <= SAMPLE_SIZE) {
      List<String> orphanIds =
          Results.samples(results.get("orphan")).stream().map(key -> key.get("id")).toList();
      List<String> all = new ArrayList<>();
      for (int i = 1; i <= violations; i++) {
        all.add(Integer.toString(i));
      }
      assertThat(orphanIds).isEqualTo(all);
    }
  }

  @Test
  void a_sql_audits_integer_keys_are_shown_in_numeric_order() {
    TestPostgres.Database db = TestPostgres.newDatabase("complete_sql_order");
    db.execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (9), (10), (100), (21);");
    AuditResult result =
        Audits.run(
                dir,
                db,
                """
                audits:
                  - id: numbers
                    kind: sql
                    sql: SELECT id FROM t
                    key_columns: [id]
                    allow_privileged_role: true
                """)
            .get("numbers");
    assertThat(Results.samples(result))
        .extracting(key -> key.get("id"))
        .containsExactly("9", "10", "21", "100");
  }

  /**
   * Key texts travel from the audited server as array literals: quotes, backslashes, braces,
   * commas, blanks, the text 'NULL' and the empty text come back exactly, and NULL stays NULL.
   */
  @Test
  void key_texts_with_quotes_braces_commas_and_the_word_null_are_shown_exactly() {
    TestPostgres.Database db = TestPostgres.newDatabase("complete_awkward_texts");
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (code text, part text, parent_id int, UNIQUE (code, part));
        INSERT INTO child VALUES ('a,b', '{x}', 1), ('say "hi"', 'back\\slash', 2),
          ('NULL', NULL, 3), ('', ' lead and trail ', 4), ('}{', 'ünï', 5), ('ok', 'ok', NULL);
        """);
    // read both ways: through a cursor (no parallel workers planned for six rows) and, with
    // workers forced, through COPY's CSV (ViolationScan's rule for the read)
    Map<String, AuditResult> results =
        Audits.run(
            dir,
            db,
            """
            audits:
              - id: awkward
                kind: orphan
                child: child.parent_id
                parent: parent.id
                sample_size: 10
              - id: awkward_parallel
                kind: orphan
                child: child.parent_id
                parent: parent.id
                sample_size: 10
                settings: {parallel_setup_cost: 0, parallel_tuple_cost: 0,
                           min_parallel_table_scan_size: 0, max_parallel_workers_per_gather: 2}
            """);
    List<Map<String, String>> expected = new ArrayList<>();
    String[][] keys = {
      {"a,b", "{x}", "1"},
      {"say \"hi\"", "back\\slash", "2"},
      {"NULL", null, "3"},
      {"", " lead and trail ", "4"},
      {"}{", "ünï", "5"}
    };
    for (String[] key : keys) {
      Map<String, String> values = new LinkedHashMap<>();
      values.put("code", key[0]);
      values.put("part", key[1]);
      values.put("parent_id", key[2]);
      expected.add(values);
    }
    for (String id : List.of("awkward", "awkward_parallel")) {
      AuditResult result = results.get(id);
      assertThat(Results.violations(result)).as(id).isEqualTo(5);
      assertThat(Results.samples(result)).as(id).hasSize(5);
      assertThat(Results.samples(result)).as(id).containsExactlyInAnyOrderElementsOf(expected);
    }
  }

  @Test
  void a_sample_size_above_a_hundred_is_filled_too() {
    TestPostgres.Database db = TestPostgres.newDatabase("complete_large_sample");
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        CREATE TABLE child (tenant int, id int, parent_id int, PRIMARY KEY (tenant, id));
        INSERT INTO child SELECT 3, i, i FROM generate_series(1, 150) i;
        """);
    AuditResult result =
        Audits.run(
                dir,
                db,
                """
                audits:
                  - id: big
                    kind: orphan
                    child: child.parent_id
                    parent: parent.id
                    sample_size: 120
                """)
            .get("big");
    assertThat(Results.violations(result)).isEqualTo(150);
    assertThat(Results.samples(result)).hasSize(120).doesNotHaveDuplicates();
  }
}
