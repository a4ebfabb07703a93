package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunked and incremental runs on a real PostgreSQL: the same counts and the very same sample keys
 * as a full run, each chunk in its own statement, the watermark kept in the store, full sweeps when
 * due, and which mode produced a figure recorded with it.
 */
class BigTableModesTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database store;

  @BeforeEach
  void databases() {
    target = TestPostgres.newDatabase("modes_target");
    store = TestPostgres.newDatabase("modes_store");
    target.execute(
        """
        CREATE TABLE parent (id text PRIMARY KEY);
        INSERT INTO parent SELECT 'p' || i FROM generate_series(1, 2000) i;
        CREATE TABLE child (
          id bigint PRIMARY KEY,
          parent_id text,
          created_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX child_created_at ON child (created_at);
        -- 50,000 rows; every 97th is an orphan (515), every 101st has no reference
        INSERT INTO child (id, parent_id, created_at)
          SELECT i,
                 CASE WHEN i % 101 = 0 THEN NULL
                      WHEN i % 97 = 0 THEN 'missing-' || i
                      ELSE 'p' || (1 + i % 2000) END,
                 timestamptz '2025-01-01' + i * interval '1 second'
          FROM generate_series(1, 50000) i;
        ANALYZE parent;
        ANALYZE child;
        """);
  }

  private static String audit(String id, String extra) {
    return """
        audits:
          - id: %s
            kind: orphan
            child: child.parent_id
            parent: parent.id
            sample_size: 20
        %s
        """
        .formatted(id, extra.indent(4).stripTrailing());
  }

  private AuditResult run(String yaml) {
    Map<String, AuditResult> results = Audits.run(dir, target, store, yaml);
    return results.values().iterator().next();
  }

  @Test
  void a_chunked_run_finds_the_same_counts_and_sample_keys_as_a_full_run() {
    AuditResult full = run(audit("full", "mode: full"));
    AuditResult chunked = run(audit("chunked", "mode: chunked\nchunk_target: 50ms"));

    assertThat(Results.violations(full)).isEqualTo(510);
    assertThat(Results.rowsChecked(full)).isEqualTo(50_000);
    assertThat(Results.violations(chunked)).isEqualTo(Results.violations(full));
    assertThat(Results.rowsChecked(chunked)).isEqualTo(Results.rowsChecked(full));
    assertThat(Results.samples(chunked)).isEqualTo(Results.samples(full)).hasSize(20);
    assertThat(full.info().mode()).isEqualTo(RunInfo.Mode.FULL);
    assertThat(chunked.info().mode()).isEqualTo(RunInfo.Mode.CHUNKED);
    assertThat(chunked.info().chunks()).as("statements").isGreaterThan(3);

    List<Map<String, Object>> chunks =
        store.query(
            "SELECT state, count(*) AS n, count(DISTINCT statement) AS statements"
                + " FROM integrity_auditor.audit_chunk GROUP BY state");
    assertThat(chunks).hasSize(1);
    assertThat(chunks.get(0).get("state")).isEqualTo("done");
    assertThat(((Number) chunks.get(0).get("statements")).intValue())
        .isEqualTo(chunked.info().chunks());
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_run WHERE audit_id = 'chunked'"
                    + " AND mode = 'chunked' AND chunks = "
                    + chunked.info().chunks()
                    + " AND chunk_nodes = 1 AND scanned_rows = 50000"))
        .isEqualTo(1);
    assertThat(
            store.queryLong("SELECT count(*) FROM integrity_auditor.audit_chunk_plan WHERE open"))
        .as("plans left open")
        .isZero();
  }

  @Test
  void regularly_spaced_integer_keys_still_fill_the_sample() {
    target.execute(
        """
        CREATE TABLE spaced (id bigint PRIMARY KEY, parent_id text);
        INSERT INTO spaced SELECT i, CASE WHEN i % 1000 = 0 THEN 'gone' ELSE 'p1' END
          FROM generate_series(1, 100000) i;
        """);
    AuditResult result =
        run(
            """
            audits:
              - id: spaced
                kind: orphan
                child: spaced.parent_id
                parent: parent.id
            """);
    assertThat(Results.violations(result)).isEqualTo(100);
    assertThat(Results.samples(result)).hasSize(20);
  }

  @Test
  void a_chunked_run_without_a_store_runs_its_chunks_locally() {
    Map<String, AuditResult> results =
        Audits.run(dir, target, audit("local", "mode: chunked\nchunk_target: 50ms"));
    AuditResult result = results.get("local");
    assertThat(Results.violations(result)).isEqualTo(510);
    assertThat(result.info().mode()).isEqualTo(RunInfo.Mode.CHUNKED);
    // split, not one statement (how many depends on the machine's speed: chunks are sized to last
    // chunk_target, and an idle machine reads 100,000 rows in three)
    assertThat(result.info().chunks()).isGreaterThan(1);
  }

  @Test
  void auto_mode_chunks_only_tables_estimated_above_chunk_above_rows() {
    assertThat(run(audit("small", "chunk_above_rows: 1000000")).info().mode())
        .isEqualTo(RunInfo.Mode.FULL);
    AuditResult big = run(audit("big", "chunk_above_rows: 10000\nchunk_target: 100ms"));
    assertThat(big.info().mode()).isEqualTo(RunInfo.Mode.CHUNKED);
    assertThat(Results.violations(big)).isEqualTo(510);
  }

  @Test
  void an_incremental_audit_sweeps_first_then_reads_only_the_rows_past_its_watermark() {
    String yaml = audit("inc", "mode: incremental\nwatermark: id");
    AuditResult sweep = run(yaml);
    assertThat(sweep.info().mode()).isEqualTo(RunInfo.Mode.FULL);
    assertThat(Results.violations(sweep)).isEqualTo(510);
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_watermark WHERE audit_id = 'inc'"
                    + " AND watermark = '50000'"))
        .isEqualTo(1);

    // 1,000 new rows, 10 of them orphans
    target.execute(
        """
        INSERT INTO child (id, parent_id)
          SELECT i, CASE WHEN i % 100 = 0 THEN 'new-missing-' || i ELSE 'p1' END
          FROM generate_series(50001, 51000) i;
        """);
    AuditResult increment = run(yaml);
    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(increment.info().scannedRows()).contains(1000L);
    assertThat(increment.info().watermarkFrom()).contains("50000");
    assertThat(increment.info().watermarkTo()).contains("51000");
    assertThat(Results.violations(increment)).isEqualTo(520);
    assertThat(Results.rowsChecked(increment)).isEqualTo(50_000 + 1000);
    // the same sample keys a full run over the same rows would give
    AuditResult fullNow = run(audit("inc_full", "mode: full"));
    assertThat(Results.violations(fullNow)).isEqualTo(520);
    assertThat(Results.samples(increment)).isEqualTo(Results.samples(fullNow));

    // nothing new: nothing read, the same figures
    AuditResult idle = run(yaml);
    assertThat(idle.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(idle.info().scannedRows()).contains(0L);
    assertThat(Results.violations(idle)).isEqualTo(520);
    assertThat(
            store.query(
                "SELECT mode, scanned_rows, watermark_from, watermark_to FROM"
                    + " integrity_auditor.audit_run WHERE audit_id = 'inc' ORDER BY id"))
        .extracting(r -> r.get("mode") + " " + r.get("scanned_rows") + " " + r.get("watermark_to"))
        .containsExactly("full 50000 null", "incremental 1000 51000", "incremental 0 51000");
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_latest WHERE audit_id = 'inc'"
                    + " AND last_mode = 'incremental' AND last_full_success_at IS NOT NULL"))
        .isEqualTo(1);
  }

  @Test
  void a_row_committed_while_the_full_sweep_runs_is_counted_once_by_the_sweep_or_the_increment()
      throws Exception {
    // the sweep reads its watermark, then waits for the parent (a migration holds it); a violating
    // row past the watermark is committed meanwhile. In one snapshot the sweep does not see it and
    // the next increment counts it; in two snapshots (READ COMMITTED) both counted it: 512
    String yaml = audit("inc", "mode: incremental\nwatermark: id\nlock_timeout: 60s");
    AutoCloseable migration = target.lockExclusively("parent");
    CompletableFuture<AuditResult> sweeping = CompletableFuture.supplyAsync(() -> run(yaml));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (target.queryLong(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                + " WHERE c.relname = 'parent' AND NOT l.granted")
        == 0) {
      assertThat(System.nanoTime()).as("the sweep waits for the parent").isLessThan(deadline);
      Thread.sleep(20);
    }
    target.execute("INSERT INTO child (id, parent_id) VALUES (50001, 'late-missing')");
    migration.close();
    AuditResult sweep = sweeping.get(60, TimeUnit.SECONDS);
    assertThat(sweep.info().mode()).isEqualTo(RunInfo.Mode.FULL);
    assertThat(Results.violations(sweep)).isEqualTo(510);
    assertThat(Results.rowsChecked(sweep)).isEqualTo(50_000);

    AuditResult increment = run(yaml);
    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(increment.info().scannedRows()).contains(1L);
    assertThat(Results.violations(increment)).isEqualTo(511);
    assertThat(Results.rowsChecked(increment)).isEqualTo(50_001);
  }

  @Test
  void a_deleted_parent_is_missed_by_increments_and_caught_by_the_next_full_sweep() {
    // an hourly sweep made due by moving the last one back, not by waiting: a sweep due every few
    // seconds also came due between the first two runs on a loaded machine
    String yaml = audit("inc", "mode: incremental\nwatermark: created_at\nfull_sweep: '@every 1h'");
    assertThat(Results.violations(run(yaml))).isEqualTo(510);
    target.execute("DELETE FROM parent WHERE id = 'p7'"); // 25 old rows become orphans
    AuditResult increment = run(yaml);
    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(Results.violations(increment)).as("old rows are not re-read").isEqualTo(510);

    store.execute(
        "UPDATE integrity_auditor.audit_watermark SET last_full_at = last_full_at - interval '2 hours'"
            + " WHERE audit_id = 'inc'");
    AuditResult sweep = run(yaml);
    assertThat(sweep.info().mode()).isEqualTo(RunInfo.Mode.FULL);
    assertThat(Results.violations(sweep)).isEqualTo(535);
  }

  @Test
  void a_changed_definition_starts_the_incremental_audit_over_with_a_full_sweep() {
    run(audit("inc", "mode: incremental\nwatermark: id"));
    AuditResult changed = run(audit("inc", "mode: incremental\nwatermark: id\nnulls: violation"));
    assertThat(changed.info().mode()).isEqualTo(RunInfo.Mode.FULL);
    assertThat(Results.violations(changed)).isEqualTo(510 + 495);
  }

  @Test
  void a_chunked_full_sweep_of_an_incremental_audit_sets_its_watermark() {
    String yaml =
        audit(
            "inc", "mode: incremental\nwatermark: id\nchunk_above_rows: 1000\nchunk_target: 50ms");
    AuditResult sweep = run(yaml);
    assertThat(sweep.info().mode()).isEqualTo(RunInfo.Mode.CHUNKED);
    assertThat(Results.violations(sweep)).isEqualTo(510);
    target.execute("INSERT INTO child (id, parent_id) VALUES (60000, 'gone')");
    AuditResult increment = run(yaml);
    assertThat(increment.info().mode()).isEqualTo(RunInfo.Mode.INCREMENTAL);
    assertThat(increment.info().scannedRows()).contains(1L);
    assertThat(Results.violations(increment)).isEqualTo(511);
  }

  @Test
  void planner_settings_are_set_locally_in_the_audit_transaction() {
    Map<String, AuditResult> results =
        Audits.run(
            dir,
            target,
            """
            audits:
              - id: settings
                kind: sql
                allow_privileged_role: true # the tests' PostgreSQL role is its superuser
                sql: |
                  SELECT current_setting('work_mem') AS work_mem,
                         current_setting('max_parallel_workers_per_gather') AS workers
                key_columns: [work_mem, workers]
                settings: {work_mem: 77MB, max_parallel_workers_per_gather: 0}
            """);
    assertThat(Results.samples(results.get("settings")))
        .containsExactly(Map.of("work_mem", "77MB", "workers", "0"));
  }

  private List<String> problems(String yaml) {
    return Audits.problems(dir, target, yaml).stream()
        .map(p -> p.replace(dir.toString() + "/", ""))
        .toList();
  }

  @Test
  void modes_and_settings_are_validated_with_file_and_line() {
    assertThat(
            problems(
                """
                audits:
                  - id: no_watermark
                    kind: orphan
                    child: child.parent_id
                    parent: parent.id
                    mode: incremental
                  - id: not_splittable
                    kind: unique
                    table: child
                    columns: [parent_id]
                    mode: chunked
                  - id: bad_settings
                    kind: orphan
                    child: child.parent_id
                    parent: parent.id
                    settings: {work_mem: lots, statement_timeout: 0, enable_hashjoin: maybe}
                """))
        .containsExactlyInAnyOrder(
            "audits/test.yaml:6: audit 'no_watermark': key 'mode': incremental runs need a"
                + " watermark: a monotonic key or timestamp column of the child with an index"
                + " (watermark: id, or watermark: created_at)",
            "audits/test.yaml:11: audit 'not_splittable': key 'mode': chunked runs split the"
                + " driving table into key ranges, which kind unique cannot be; supported for kind"
                + " orphan (use mode: full or auto)",
            "audits/test.yaml:16: audit 'bad_settings': key 'settings.work_mem': expected an"
                + " amount of memory like 64MB, 1GB or 512kB, found 'lots'",
            "audits/test.yaml:16: audit 'bad_settings': key 'settings.statement_timeout': not a"
                + " setting an audit may change; allowed: work_mem, hash_mem_multiplier,"
                + " max_parallel_workers_per_gather, parallel_setup_cost, parallel_tuple_cost,"
                + " min_parallel_table_scan_size, min_parallel_index_scan_size,"
                + " effective_cache_size, effective_io_concurrency, random_page_cost,"
                + " seq_page_cost, cpu_tuple_cost, jit, enable_hashjoin, enable_mergejoin,"
                + " enable_nestloop, enable_hashagg, enable_seqscan, enable_indexscan,"
                + " enable_indexonlyscan, enable_bitmapscan, enable_sort, enable_material,"
                + " enable_memoize, enable_parallel_hash, enable_parallel_append (the audit's"
                + " timeout sets statement_timeout)",
            "audits/test.yaml:16: audit 'bad_settings': key 'settings.enable_hashjoin': expected"
                + " on or off, found 'maybe'");
  }

  @Test
  void a_watermark_must_be_an_ordered_column() {
    assertThat(
            problems(
                """
                audits:
                  - id: text_watermark
                    kind: orphan
                    child: child.parent_id
                    parent: parent.id
                    mode: incremental
                    watermark: parent_id
                """))
        .containsExactly(
            "audits/test.yaml:7: audit 'text_watermark': key 'watermark': column parent_id is"
                + " text; a watermark must be a number, a date or a timestamp that only grows");
  }

  @Test
  void an_unindexed_watermark_is_refused() {
    target.execute("CREATE TABLE log (id bigint PRIMARY KEY, seq bigint, parent_id text)");
    assertThat(
            problems(
                """
                audits:
                  - id: unindexed
                    kind: orphan
                    child: log.parent_id
                    parent: parent.id
                    mode: incremental
                    watermark: seq
                """))
        .containsExactly(
            "audits/test.yaml:7: audit 'unindexed': key 'watermark': no index of public.log"
                + " starts with seq: every incremental run would read the whole table to find the"
                + " new rows; create one (CREATE INDEX CONCURRENTLY ... (seq)) or use mode:"
                + " chunked");
  }
}
