package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestClock;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The integer key scheme (store migration V18): an audit whose child has a one-column integer
 * primary key fingerprints its keys by that key's value. A store written before it holds text-hash
 * key sets; the first run that reads every row after the upgrade translates the kept set, and the
 * split, first-seen times and baseline flags come out as if nothing had changed, on that run and
 * every run after. The store "as main writes it" is made here by SQL from a run's kept set: the
 * fingerprints replaced by main's {@code hashtextextended(ARRAY[id::text, parent_id::text]::text,
 * 0)}, the scheme columns NULL (as V18 leaves every earlier run).
 */
class KeySchemeUpgradeTest {
  static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");

  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("scheme_target");
    store = TestPostgres.newDatabase("scheme_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT i FROM generate_series(1, 100) i;
        -- rows 1-40 are orphans
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child SELECT i, CASE WHEN i <= 40 THEN 1000 + i ELSE 1 + i % 100 END
          FROM generate_series(1, 20000) i;
        ANALYZE parent; ANALYZE child;
        """);
  }

  private static String audit(String mode) {
    return """
        audits:
          - id: keyed
            kind: orphan
            child: child.parent_id
            parent: parent.id
            sample_size: 5
            %s
        """
        .formatted(mode.indent(4).strip());
  }

  private AuditResult runAt(Duration sinceT0, String yaml) {
    return Audits.run(dir, target, store, yaml, "", new TestClock(T0.plus(sinceT0))).get("keyed");
  }

  /**
   * Rewrites the audit's kept key set as main (before V18) wrote it: text-hash fingerprints of (id,
   * parent_id), first-seen times and baseline flags as they were, sorted by fingerprint, no scheme
   * recorded anywhere.
   */
  private void asMainWroteIt() {
    List<String> pairs = new ArrayList<>();
    for (Map<String, Object> row :
        target.query(
            "SELECT id, hashtextextended(ARRAY[id::text, parent_id::text]::text, 0) AS fp"
                + " FROM child c WHERE NOT EXISTS (SELECT 1 FROM parent p WHERE p.id ="
                + " c.parent_id)")) {
      pairs.add("(" + row.get("id") + "," + row.get("fp") + ")");
    }
    store.execute(
        ("CREATE TEMP TABLE main_fp (id bigint, fp bigint); INSERT INTO main_fp VALUES %s;"
                + " CREATE TEMP TABLE kept AS SELECT v.audit_id, v.run_id, m.fp, u.fs, u.b"
                + " FROM integrity_auditor.violation_age v,"
                + " unnest(v.fingerprints, v.first_seen, v.baseline) AS u(id, fs, b)"
                + " JOIN main_fp m ON m.id = u.id;"
                + " DELETE FROM integrity_auditor.violation_age;"
                + " INSERT INTO integrity_auditor.violation_age"
                + " (audit_id, run_id, seq, fingerprints, weights, first_seen, baseline)"
                + " SELECT audit_id, run_id, 0, array_agg(fp ORDER BY fp), NULL,"
                + " array_agg(fs ORDER BY fp), array_agg(b ORDER BY fp) FROM kept"
                + " GROUP BY audit_id, run_id;"
                + " DELETE FROM integrity_auditor.violation_key;"
                + " INSERT INTO integrity_auditor.violation_key"
                + " (run_id, part, batch, sorted_run, fingerprints, weights)"
                + " SELECT run_id, 'all', 0, 0, array_agg(fp ORDER BY fp), NULL FROM kept"
                + " GROUP BY run_id;"
                + " UPDATE integrity_auditor.audit_run SET key_scheme = NULL;")
            .formatted(String.join(",", pairs)));
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.violation_age,"
                    + " unnest(fingerprints) AS u(fp) WHERE fp BETWEEN 1 AND 20000"))
        .as("no fingerprint is a key any more")
        .isZero();
  }

  /** Accepts the kept set's keys as baseline, as {@code baseline} does (flags in the kept set). */
  private void baselineAll() {
    store.execute(
        "UPDATE integrity_auditor.violation_age"
            + " SET baseline = array_fill(true, ARRAY[cardinality(fingerprints)]);"
            + " INSERT INTO integrity_auditor.audit_baseline VALUES ('keyed', 'test', now(), 'all',"
            + " 40)");
  }

  private List<Map<String, Object>> runs() {
    return store.query(
        "SELECT new_violations AS n, persisting_violations AS p, gone_violations AS g,"
            + " key_tracking AS t, baseline_violations AS b, key_scheme AS s"
            + " FROM integrity_auditor.audit_run WHERE audit_id = 'keyed' ORDER BY id");
  }

  /** Open violating keys by first-seen day (days after T0), as the store keeps them. */
  private Map<String, Object> byFirstSeen() {
    return store
        .query(
            "SELECT count(*) FILTER (WHERE u.fs = extract(epoch FROM timestamptz"
                + " '2026-06-01T00:00:00Z') * 1000000) AS day0, count(*) FILTER (WHERE u.fs ="
                + " extract(epoch FROM timestamptz '2026-06-03T00:00:00Z') * 1000000) AS day2,"
                + " count(*) FILTER (WHERE u.b) AS baseline, count(*) AS open"
                + " FROM integrity_auditor.violation_age, unnest(fingerprints, first_seen,"
                + " baseline) AS u(fp, fs, b)")
        .get(0);
  }

  private static Map<String, Object> split(Long n, Long p, Long g, String t, long b, String s) {
    java.util.HashMap<String, Object> row = new java.util.HashMap<>();
    row.put("n", n);
    row.put("p", p);
    row.put("g", g);
    row.put("t", t);
    row.put("b", b);
    row.put("s", s);
    return row;
  }

  @ParameterizedTest
  @ValueSource(strings = {"mode: full", "mode: chunked\nchunk_target: 20ms"})
  void a_key_set_written_before_the_integer_scheme_keeps_its_split_ages_and_baseline(String mode) {
    String yaml = audit(mode);
    runAt(Duration.ZERO, yaml);
    asMainWroteIt();
    baselineAll();
    // two days later: 10 orphans fixed, 7 new ones
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id <= 10;"
            + "UPDATE child SET parent_id = 5000 + id WHERE id BETWEEN 101 AND 107;");

    AuditResult upgraded = runAt(Duration.ofDays(2), yaml);
    AuditResult after = runAt(Duration.ofDays(3), yaml);

    assertThat(runs())
        .as("the upgrade's run is exact against main's key set, and so is the run after it")
        .containsExactly(
            split(null, null, null, "first", 0L, null),
            split(7L, 30L, 10L, "exact", 30L, "integer:id"),
            split(0L, 37L, 0L, "exact", 30L, "integer:id"));
    assertThat(byFirstSeen())
        .as("30 keys since day 0, all in the baseline; 7 since day 2, none")
        .isEqualTo(Map.of("day0", 30L, "day2", 7L, "baseline", 30L, "open", 37L));
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.violation_age,"
                    + " unnest(fingerprints) AS u(fp) WHERE fp BETWEEN 11 AND 107"))
        .as("the kept set's fingerprints are the keys themselves now")
        .isEqualTo(37);
    assertThat(upgraded.keyHistory().orElseThrow().baselineRows()).isEqualTo(30);
    assertThat(after.keyHistory().orElseThrow().oldestSince()).contains(T0);
    assertThat(
            after.measurement().orElseThrow().samples().stream()
                .map(s -> s.values().get("id"))
                .toList())
        .as("the sample: the smallest keys")
        .containsExactly("11", "12", "13", "14", "15");
    assertThat(store.queryLong("SELECT count(*) FROM integrity_auditor.violation_key_translation"))
        .isZero();
  }

  @Test
  void an_incremental_audit_translates_in_its_sweep_and_its_increments_compare_exactly() {
    String yaml = audit("mode: incremental\nwatermark: id");
    runAt(Duration.ZERO, yaml);
    asMainWroteIt();
    baselineAll();
    // main's statement differs from this one: the next run sweeps (its definition changed)
    store.execute("UPDATE integrity_auditor.audit_watermark SET fingerprint = 'as main wrote it'");
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id <= 10;"
            + "UPDATE child SET parent_id = 5000 + id WHERE id BETWEEN 101 AND 107;");
    runAt(Duration.ofDays(2), yaml);
    target.execute(
        "INSERT INTO child SELECT i, CASE WHEN i % 2 = 0 THEN 9000 + i ELSE 1 END"
            + " FROM generate_series(20001, 20010) i");
    AuditResult increment = runAt(Duration.ofDays(3), yaml);

    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(runs())
        .containsExactly(
            split(null, null, null, "first", 0L, null),
            split(7L, 30L, 10L, "exact", 30L, "integer:id"),
            split(5L, 37L, 0L, "exact", 30L, "integer:id"));
    assertThat(byFirstSeen()).containsEntry("day0", 30L).containsEntry("baseline", 30L);
    assertThat(
            increment.measurement().orElseThrow().samples().stream()
                .map(s -> s.values().get("id"))
                .toList())
        .containsExactly("11", "12", "13", "14", "15");
  }

  @Test
  void a_key_column_whose_type_changes_from_integer_to_text_keeps_its_split_and_ages() {
    String yaml = audit("mode: full");
    runAt(Duration.ZERO, yaml);
    target.execute(
        "ALTER TABLE child ALTER COLUMN id TYPE text;"
            + "UPDATE child SET parent_id = 1 WHERE id::int <= 10;"
            + "UPDATE child SET parent_id = 5000 + id::int WHERE id::int BETWEEN 101 AND 107;");

    runAt(Duration.ofDays(2), yaml);
    target.execute("UPDATE child SET parent_id = 1 WHERE id = '11'");
    runAt(Duration.ofDays(3), yaml);

    assertThat(runs())
        .containsExactly(
            split(null, null, null, "first", 0L, "integer:id"),
            split(7L, 30L, 10L, "exact", 0L, "text"),
            split(0L, 36L, 1L, "exact", 0L, "text"));
    assertThat(byFirstSeen())
        .isEqualTo(Map.of("day0", 29L, "day2", 7L, "baseline", 0L, "open", 36L));
  }
}
