package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every violating key is tracked across runs, not just the sample: each completed run records
 * exactly how many of its violating rows are new, persist or are gone since the previous completed
 * run, in every mode, with the key sets kept as fingerprints in the store and only the latest one
 * of an audit kept.
 */
class KeyTrackingTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("tracking_target");
    store = TestPostgres.newDatabase("tracking_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT i FROM generate_series(1, 100) i;
        -- 20,000 rows in 20 tenants; rows 1-40 are orphans (more than the sample of 5: the
        -- split must not come from the sample)
        CREATE TABLE child (tenant int, id int, parent_id int, PRIMARY KEY (id, tenant));
        INSERT INTO child SELECT i / 1000, i, CASE WHEN i <= 40 THEN 1000 + i ELSE 1 + i % 100 END
          FROM generate_series(1, 20000) i;
        ANALYZE parent; ANALYZE child;
        """);
  }

  private static String audit(String id, String extra) {
    return """
        audits:
          - id: %s
            kind: orphan
            child: child.parent_id
            parent: parent.id
            sample_size: 5
        %s
        """
        .formatted(id, extra.indent(4).stripTrailing());
  }

  private AuditResult run(String yaml) {
    return Audits.run(dir, target, store, yaml).values().iterator().next();
  }

  /** new, persisting, gone and how they were known, of the audit's runs in order. */
  private List<String> splits(String auditId) {
    return store
        .query(
            "SELECT new_violations, persisting_violations, gone_violations, key_tracking"
                + " FROM integrity_auditor.audit_run WHERE audit_id = '"
                + auditId
                + "' ORDER BY id")
        .stream()
        .map(
            r ->
                r.get("key_tracking")
                    + " new="
                    + r.get("new_violations")
                    + " persisting="
                    + r.get("persisting_violations")
                    + " gone="
                    + r.get("gone_violations"))
        .toList();
  }

  /** 10 orphans fixed (rows 1-10), 7 new ones (rows 101-107). */
  private void fixTenAndBreakSeven() {
    target.execute(
        "UPDATE child SET parent_id = 1 WHERE id <= 10;"
            + "UPDATE child SET parent_id = 5000 + id WHERE id BETWEEN 101 AND 107;");
  }

  @Test
  void a_full_run_knows_exactly_which_violating_rows_are_new_persist_or_are_gone() {
    String yaml = audit("full", "mode: full");
    AuditResult first = run(yaml);
    fixTenAndBreakSeven();
    AuditResult second = run(yaml);
    AuditResult third = run(yaml);

    assertThat(Results.violations(first)).isEqualTo(40);
    assertThat(Results.violations(second)).isEqualTo(37);
    assertThat(Results.violations(third)).isEqualTo(37);
    assertThat(splits("full"))
        .containsExactly(
            "first new=null persisting=null gone=null",
            "exact new=7 persisting=30 gone=10",
            "exact new=0 persisting=37 gone=0");
    assertThat(
            store.queryLong("SELECT count(DISTINCT run_id) FROM integrity_auditor.violation_key"))
        .as("key sets kept")
        .isEqualTo(1);
    assertThat(
            store.queryLong(
                "SELECT sum(cardinality(fingerprints)) FROM integrity_auditor.violation_key"))
        .as("fingerprints of the latest run")
        .isEqualTo(37);
    assertThat(
            store.queryLong(
                "SELECT new_violations * 1000 + gone_violations FROM"
                    + " integrity_auditor.audit_latest WHERE audit_id = 'full'"))
        .isEqualTo(0);
  }

  /**
   * A type mismatch counted as a violation (the default) is a finding about the schema, not a row:
   * the rows' keys are still tracked exactly. They were not: the merge compared the 40 keys with 41
   * violations, took the key set for one that lost a part, and every run's split was unknown.
   */
  @Test
  void a_type_mismatch_counted_as_a_violation_leaves_the_rows_keys_tracked_exactly() {
    target.execute("ALTER TABLE child ALTER COLUMN parent_id TYPE bigint");
    String yaml = audit("mixed", "mode: full");
    AuditResult first = run(yaml);
    fixTenAndBreakSeven();
    AuditResult second = run(yaml);

    assertThat(Results.violations(first)).as("40 rows and the mismatch").isEqualTo(41);
    assertThat(Results.violations(second)).isEqualTo(38);
    assertThat(splits("mixed"))
        .containsExactly(
            "first new=null persisting=null gone=null", "exact new=7 persisting=30 gone=10");
  }

  /**
   * A full run whose plan has parallel workers sends its violating rows from the workers (the rows
   * form, with a count of its own); one without workers reads the aggregate through a cursor. Both
   * must keep the very same key set and sample, run after run, whichever ran before.
   */
  @Test
  void the_parallel_statement_and_the_serial_one_find_the_same_keys_samples_and_counts() {
    String parallel =
        audit(
            "full",
            "mode: full\nsettings: {parallel_setup_cost: 0, parallel_tuple_cost: 0,"
                + " min_parallel_table_scan_size: 0, max_parallel_workers_per_gather: 2}");
    String serial = audit("full", "mode: full\nsettings: {max_parallel_workers_per_gather: 0}");
    AuditResult first = run(serial);
    AuditResult second = run(parallel);
    fixTenAndBreakSeven();
    AuditResult third = run(parallel);
    AuditResult fourth = run(serial);

    assertThat(List.of(first, second, third, fourth))
        .extracting(Results::violations)
        .containsExactly(40L, 40L, 37L, 37L);
    assertThat(List.of(first, second, third, fourth))
        .extracting(r -> r.measurement().orElseThrow().rowsChecked())
        .containsOnly(20_000L);
    assertThat(Results.samples(second)).hasSize(5).isEqualTo(Results.samples(first));
    assertThat(Results.samples(fourth)).hasSize(5).isEqualTo(Results.samples(third));
    assertThat(splits("full"))
        .containsExactly(
            "first new=null persisting=null gone=null",
            "exact new=0 persisting=40 gone=0",
            "exact new=7 persisting=30 gone=10",
            "exact new=0 persisting=37 gone=0");
  }

  @Test
  void chunked_runs_track_every_key_across_their_statements() {
    String yaml = audit("chunked", "mode: chunked\nchunk_target: 20ms");
    AuditResult first = run(yaml);
    fixTenAndBreakSeven();
    AuditResult second = run(yaml);

    assertThat(first.info().chunks()).as("statements").isGreaterThan(1);
    assertThat(Results.violations(second)).isEqualTo(37);
    assertThat(splits("chunked"))
        .containsExactly(
            "first new=null persisting=null gone=null", "exact new=7 persisting=30 gone=10");
  }

  @Test
  void an_incremental_run_adds_its_new_rows_to_the_key_set_of_the_sweep() {
    String yaml = audit("inc", "mode: incremental\nwatermark: id");
    run(yaml);
    target.execute(
        "INSERT INTO child SELECT 20, i, CASE WHEN i % 2 = 0 THEN 9000 + i ELSE 1 END"
            + " FROM generate_series(20001, 20010) i");
    AuditResult increment = run(yaml);
    AuditResult nothingNew = run(yaml);

    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(Results.violations(increment)).isEqualTo(45);
    assertThat(splits("inc"))
        .containsExactly(
            "first new=null persisting=null gone=null",
            "exact new=5 persisting=40 gone=0",
            "exact new=0 persisting=45 gone=0");
    assertThat(nothingNew.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    // the increments were merged alone with the kept set: no part of the sweep copied, and the
    // run of no new rows still has a key set (its marker)
    assertThat(
            store.query(
                "SELECT part, cardinality(fingerprints) AS n FROM integrity_auditor.violation_key"))
        .extracting(row -> row.get("part") + "=" + row.get("n"))
        .containsExactly("carried=0");
  }

  /**
   * When the kept set is not the key set of the run an increment carries from (here: lost), the
   * parts of that run are copied and the store sorts them (arrays written before V12, unsorted):
   * the key set is complete, the comparison starts afresh, the next increment is exact again.
   */
  @Test
  void an_increment_whose_kept_set_is_not_the_carried_one_copies_the_carried_parts() {
    String yaml = audit("copied", "mode: incremental\nwatermark: id");
    run(yaml);
    store.execute(
        "UPDATE integrity_auditor.violation_key SET sorted_run = NULL;"
            + "DELETE FROM integrity_auditor.violation_age;");
    target.execute("INSERT INTO child SELECT 20, i, 9000 + i FROM generate_series(20001, 20003) i");
    run(yaml);
    target.execute("INSERT INTO child SELECT 20, i, 9000 + i FROM generate_series(20004, 20005) i");
    AuditResult last = run(yaml);

    assertThat(Results.violations(last)).isEqualTo(45);
    assertThat(splits("copied"))
        .containsExactly(
            "first new=null persisting=null gone=null",
            "first new=null persisting=null gone=null",
            "exact new=2 persisting=43 gone=0");
  }

  /**
   * The kept set's arrays whose keys all persist unchanged are adopted by the next run (their row
   * moved, the stored values not written again: the same TOAST values); only an array whose keys
   * changed is written. 25,000 violating keys: three arrays.
   */
  @Test
  void arrays_of_keys_that_all_persist_are_adopted_not_written_again() {
    target.execute(
        """
        CREATE TABLE wide (id int PRIMARY KEY, parent_id int);
        INSERT INTO wide SELECT i, 1000000 + i FROM generate_series(1, 25000) i;
        ANALYZE wide;
        """);
    String yaml =
        """
        audits:
          - id: wide
            kind: orphan
            child: wide.parent_id
            parent: parent.id
            sample_size: 5
        """;
    String values =
        "SELECT string_agg(pg_column_toast_chunk_id(fingerprints)::text, ',' ORDER BY seq)"
            + " FROM integrity_auditor.violation_age";
    run(yaml);
    String first = store.query(values).get(0).values().iterator().next().toString();
    run(yaml);
    String second = store.query(values).get(0).values().iterator().next().toString();
    // fix the rows of the upper half of the last array's keys (the fingerprint of a key of one
    // integer column is the key itself, docs/audits.md)
    long lowestOfLast =
        store.queryLong(
            "SELECT fingerprints[2500] FROM integrity_auditor.violation_age ORDER BY seq DESC LIMIT 1");
    long fixed =
        target.queryLong(
            "WITH f AS (UPDATE wide SET parent_id = 1 WHERE id >= "
                + lowestOfLast
                + " RETURNING 1) SELECT count(*) FROM f");
    AuditResult third = run(yaml);
    List<String> afterFix =
        List.of(store.query(values).get(0).values().iterator().next().toString().split(","));

    assertThat(first.split(",")).as("25,000 keys in arrays of 10,000").hasSize(3);
    assertThat(second).as("every array adopted").isEqualTo(first);
    assertThat(fixed).isBetween(1L, 10_000L);
    assertThat(afterFix).as("the first two adopted, the last written").hasSize(3);
    assertThat(afterFix.subList(0, 2)).containsExactly(first.split(",")[0], first.split(",")[1]);
    assertThat(afterFix.get(2)).isNotEqualTo(first.split(",")[2]);
    assertThat(Results.violations(third)).isEqualTo(25_000 - fixed);
    assertThat(splits("wide"))
        .containsExactly(
            "first new=null persisting=null gone=null",
            "exact new=0 persisting=25000 gone=0",
            "exact new=0 persisting=" + (25_000 - fixed) + " gone=" + fixed);
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM (SELECT u.fp, lag(u.fp) OVER (ORDER BY a.seq, u.n) AS prev"
                    + " FROM integrity_auditor.violation_age a,"
                    + " unnest(a.fingerprints) WITH ORDINALITY AS u(fp, n)) k WHERE k.prev >= k.fp"))
        .as("keys ascending across the arrays")
        .isZero();
  }

  /**
   * More violating keys than the worker sorts at once ({@code KeySets.RUN_KEYS}, 131,072): the key
   * set reaches the store as several sorted runs, merged side by side; an increment over a sweep
   * whose arrays were written before V12 (unsorted) is merged alone with the kept set. Both exact.
   */
  @Test
  void keys_of_several_sorted_runs_and_of_unsorted_arrays_are_merged_exactly() {
    target.execute(
        """
        CREATE TABLE big (id int PRIMARY KEY, parent_id int);
        INSERT INTO big SELECT i, 1000000 + i FROM generate_series(1, 300000) i;
        ANALYZE big;
        """);
    String yaml =
        """
        audits:
          - id: big
            kind: orphan
            child: big.parent_id
            parent: parent.id
            sample_size: 5
            mode: incremental
            watermark: id
        """;
    run(yaml);
    assertThat(
            store.queryLong(
                "SELECT count(DISTINCT sorted_run) FROM integrity_auditor.violation_key"
                    + " WHERE sorted_run IS NOT NULL"))
        .as("sorted runs of 300,000 keys")
        .isEqualTo(3);
    // an upgrade from before V12: the kept key set's arrays are in the scan's order, unmarked
    store.execute("UPDATE integrity_auditor.violation_key SET sorted_run = NULL");
    target.execute("INSERT INTO big SELECT i, 1000000 + i FROM generate_series(300001, 300010) i");
    run(yaml);
    // the same audit as a full run: fixed and new rows, the sorted runs merged
    target.execute(
        "UPDATE big SET parent_id = 1 WHERE id <= 1000;"
            + "INSERT INTO big SELECT i, 1000000 + i FROM generate_series(300011, 300500) i;");
    AuditResult sweep = run(yaml.replace("mode: incremental\n    watermark: id\n", "mode: full\n"));

    assertThat(Results.violations(sweep)).isEqualTo(299_500);
    assertThat(splits("big"))
        .containsExactly(
            "first new=null persisting=null gone=null",
            "exact new=10 persisting=300000 gone=0",
            "exact new=490 persisting=299010 gone=1000");
  }

  @Test
  void beyond_track_keys_the_split_is_unknown_and_no_key_set_is_kept() {
    String yaml = audit("capped", "mode: full\ntrack_keys: 39");
    run(yaml);
    run(yaml);

    assertThat(splits("capped"))
        .containsExactly(
            "over_cap new=null persisting=null gone=null",
            "over_cap new=null persisting=null gone=null");
    assertThat(store.queryLong("SELECT count(*) FROM integrity_auditor.violation_key")).isZero();
  }

  @Test
  void unique_groups_count_their_rows() {
    target.execute(
        """
        CREATE TABLE codes (id int PRIMARY KEY, code text);
        INSERT INTO codes VALUES (1, 'a'), (2, 'a'), (3, 'b'), (4, 'b'), (5, 'b'), (6, 'c');
        """);
    String yaml =
        """
        audits:
          - id: codes
            kind: unique
            table: codes
            columns: [code]
        """;
    run(yaml);
    // group a is fixed, group b grows to four rows, c becomes a pair
    target.execute(
        "UPDATE codes SET code = 'z' WHERE id = 2; INSERT INTO codes VALUES (7, 'b'), (8, 'c');");
    AuditResult second = run(yaml);

    assertThat(Results.violations(second)).isEqualTo(6);
    assertThat(splits("codes"))
        .containsExactly(
            "first new=null persisting=null gone=null", "exact new=2 persisting=4 gone=2");
  }

  @Test
  void a_key_shared_by_several_rows_is_kept_once_with_its_rows() {
    // no primary key: the sample key is the reference alone, so two orphan rows share one key
    target.execute(
        """
        CREATE TABLE loose (parent_id int);
        INSERT INTO loose VALUES (7000), (7000), (7001), (1);
        """);
    String yaml =
        """
        audits:
          - id: loose
            kind: orphan
            child: loose.parent_id
            parent: parent.id
        """;
    run(yaml);
    AuditResult second = run(yaml);

    assertThat(Results.violations(second)).isEqualTo(3);
    assertThat(splits("loose"))
        .containsExactly(
            "first new=null persisting=null gone=null", "exact new=0 persisting=3 gone=0");
    assertThat(
            store.queryLong(
                "SELECT count(*) * 100 + sum(w) FROM integrity_auditor.violation_age,"
                    + " unnest(fingerprints, weights) AS u(fp, w)"))
        .as("2 keys kept, standing for 3 rows")
        .isEqualTo(2 * 100 + 3);
  }
}
