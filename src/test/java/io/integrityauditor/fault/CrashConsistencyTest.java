package io.integrityauditor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed with SIGKILL while it writes results leaves no half-written run or alert: after a
 * restart, every run is either complete (with its samples, counted once in the totals and reflected
 * in the latest result and the alert) or marked interrupted.
 */
class CrashConsistencyTest {
  @TempDir Path dir;

  @Test
  void sigkill_during_store_writes_leaves_no_half_written_run_or_alert() throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("crash_target");
    TestPostgres.Database store = TestPostgres.newDatabase("crash_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT generate_series(1, 1000);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child SELECT i, 1 + i % 1000 FROM generate_series(1, 20000) i;
        UPDATE child SET parent_id = 5000 + id WHERE id % 1000 = 0;   -- 20 orphans
        """);
    StringBuilder audits = new StringBuilder("audits:\n");
    for (int i = 1; i <= 6; i++) {
      audits.append(
          "  - {id: a%d, kind: orphan, child: child.parent_id, parent: parent.id, schedule: '@every 1s', sample_size: 5}\n"
              .formatted(i));
    }
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", audits.toString());
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            store: {url: "%s", user: postgres}
            targets:
              app: {url: "%s", user: postgres, max_concurrent_audits: 6}
            scheduler: {checkin_interval: 1s, threads: 6}
            http: {enabled: false}
            """
                .formatted(store.url(), target.url()));
    Random random = new Random(7);
    int kills = 6;
    for (int i = 0; i < kills; i++) {
      try (ChildNode node = ChildNode.serve("crash" + i, config, dir)) {
        long before = runs(store);
        // the start first, with its own generous cap: at load 40 a node took more than the minute
        // the wait below had; that wait measures the node's runs, not how long a JVM takes to start
        node.awaitServing();
        Eventually.within(
            Duration.ofSeconds(60), "runs are being written", () -> runs(store) > before + 6);
        Eventually.pause(200 + random.nextInt(1500));
        node.kill();
      }
    }
    long lastStarted =
        store.queryLong("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
    try (ChildNode last = ChildNode.serve("final", config, dir)) {
      long before = runs(store);
      last.awaitServing();
      Eventually.within(
          Duration.ofSeconds(60), "the restarted node works", () -> runs(store) > before + 12);
      // the killed nodes' runs are found and marked by the next run or by the sweeper, even for an
      // audit whose Quartz trigger is still held by a dead node until cluster recovery
      Eventually.within(
          Duration.ofSeconds(60),
          "no run of a killed node is left 'running'",
          () -> runningRunsStartedBefore(store, lastStarted) == 0);
      last.terminate(Duration.ofSeconds(30));
    }
    System.out.println(
        "crash consistency: " + kills + " SIGKILLs, " + runs(store) + " runs recorded");

    // no run left 'running': the killed nodes' runs were marked interrupted, and the graceful stop
    // of the last node stranded none of its own
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_run WHERE status = 'running'"))
        .isZero();
    // every completed run is whole: counts, and exactly its 5 sample keys
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_run r WHERE r.status = 'violations'"
                    + " AND (r.violations <> 20 OR r.rows_checked <> 20000 OR (SELECT count(*) FROM"
                    + " integrity_auditor.audit_run_sample s WHERE s.run_id = r.id) <> 5)"))
        .isZero();
    // runs that did not complete carry no counts and no samples
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_run r WHERE r.status NOT IN ('ok',"
                    + " 'violations') AND (r.violations IS NOT NULL OR EXISTS (SELECT 1 FROM"
                    + " integrity_auditor.audit_run_sample s WHERE s.run_id = r.id))"))
        .isZero();
    // totals count each finished run exactly once (fire times skipped while a run was still
    // going are not runs: they have totals of their own, below)
    assertThat(
            store.query(
                "SELECT coalesce(t.audit_id, r.audit_id) a, t.runs, r.n FROM"
                    + " integrity_auditor.audit_run_total t FULL JOIN (SELECT audit_id, status,"
                    + " count(*) n FROM integrity_auditor.audit_run WHERE status <> 'skipped'"
                    + " GROUP BY 1, 2) r USING (audit_id, status) WHERE t.runs IS DISTINCT FROM r.n"))
        .isEmpty();
    // and every skipped fire time's row is counted, by reason (the count may be higher: fire
    // times beyond a bound are counted without a row of their own, see RunStore.recordSkipped)
    assertThat(
            store.query(
                "SELECT r.audit_id a, t.skipped, r.n FROM (SELECT audit_id, error_class AS reason,"
                    + " count(*) n FROM integrity_auditor.audit_run WHERE status = 'skipped'"
                    + " GROUP BY 1, 2) r LEFT JOIN integrity_auditor.audit_skip_total t USING"
                    + " (audit_id, reason) WHERE t.skipped IS NULL OR t.skipped < r.n"))
        .isEmpty();
    // the latest result points at the newest finished run of each audit (a skipped fire time is
    // not a result)
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_latest l WHERE l.last_run_id <>"
                    + " (SELECT id FROM integrity_auditor.audit_run r WHERE r.audit_id = l.audit_id"
                    + " AND r.status <> 'skipped' ORDER BY finished_at DESC, id DESC LIMIT 1)"))
        .isZero();
    // one open alert per audit, up to date with the latest completed run
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.alert a JOIN integrity_auditor.audit_latest l"
                    + " USING (audit_id) WHERE a.state = 'open' AND (a.last_run_id <>"
                    + " l.last_success_run_id OR a.current_violations <> 20)"))
        .isZero();
    assertThat(store.queryLong("SELECT count(*) FROM integrity_auditor.alert WHERE state = 'open'"))
        .isEqualTo(6);
  }

  private static long runningRunsStartedBefore(TestPostgres.Database store, long epochMillis) {
    return store.queryLong(
        "SELECT count(*) FROM integrity_auditor.audit_run WHERE status = 'running'"
            + " AND started_at < to_timestamp("
            + epochMillis
            + " / 1000.0)");
  }

  private static long runs(TestPostgres.Database store) {
    try {
      return store.queryLong(
          "SELECT count(*) FROM integrity_auditor.audit_run WHERE status <> 'running'");
    } catch (IllegalStateException notYet) {
      return 0;
    }
  }
}
