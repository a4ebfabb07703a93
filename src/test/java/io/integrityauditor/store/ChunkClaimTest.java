package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.run.ChunkQueue;
import io.integrityauditor.run.ChunkSlice;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claiming a chunked run's ranges in the store: consecutive pending ranges that fit, locked in one
 * round trip, and no range locked that the statement does not run (others must be able to claim
 * it), also when another node holds a range in between.
 */
class ChunkClaimTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database storeDb;
  long runId;

  @BeforeEach
  void setUp() {
    target = TestPostgres.newDatabase("claim_target");
    storeDb = TestPostgres.newDatabase("claim_store");
    target.execute(
        """
        CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (id int PRIMARY KEY, p_id int);
        """);
    // one run through the worker: the store's schema and a run row to hang a plan on
    Audits.run(
        dir,
        target,
        storeDb,
        """
        audits:
          - id: c.p
            kind: orphan
            child: c.p_id
            parent: p.id
        """);
    runId = storeDb.queryLong("SELECT max(id) FROM integrity_auditor.audit_run");
    storeDb.execute(
        "INSERT INTO integrity_auditor.audit_chunk_plan (run_id, audit_id, fingerprint,"
            + " key_column, target_ms, created_at) VALUES ("
            + runId
            + ", 'c.p', 'f', 'id', 2000, now());"
            + " INSERT INTO integrity_auditor.audit_chunk (run_id, ordinal, lower_bound,"
            + " upper_bound, estimated_rows) SELECT "
            + runId
            + ", i, CASE WHEN i > 0 THEN (i * 100)::text END,"
            + " CASE WHEN i < 9 THEN ((i + 1) * 100)::text END, 100"
            + " FROM generate_series(0, 9) i");
  }

  private Store store() {
    return Store.open(
        new DatabaseConfig(storeDb.url(), "postgres", Optional.empty(), 4, Duration.ofSeconds(5)));
  }

  /** The ranges another session can lock right now. */
  private List<Integer> claimableByOthers() throws Exception {
    try (Connection connection = storeDb.dataSource().getConnection();
        Statement statement = connection.createStatement()) {
      connection.setAutoCommit(false);
      List<Integer> free = new ArrayList<>();
      try (ResultSet rows =
          statement.executeQuery(
              "SELECT ordinal FROM integrity_auditor.audit_chunk WHERE run_id = "
                  + runId
                  + " ORDER BY ordinal FOR UPDATE SKIP LOCKED")) {
        while (rows.next()) {
          free.add(rows.getInt(1));
        }
      }
      connection.rollback();
      return free;
    }
  }

  private static List<Integer> ordinals(ChunkQueue.Claim claim) {
    return claim.slices().stream().map(ChunkSlice::ordinal).toList();
  }

  @Test
  void a_claim_takes_the_consecutive_ranges_that_fit_and_locks_no_others() throws Exception {
    try (Store store = store()) {
      ChunkQueue queue = new ChunkStore(store, "a", Clock.systemUTC()).queue(runId);

      ChunkQueue.Claim claim = queue.claim(350).orElseThrow();

      assertThat(ordinals(claim)).containsExactly(0, 1, 2);
      assertThat(claimableByOthers()).containsExactly(3, 4, 5, 6, 7, 8, 9);
      ChunkQueue.Claim next = queue.claim(200).orElseThrow();
      assertThat(ordinals(next)).containsExactly(3, 4);
      next.release();
      claim.release();
      assertThat(claimableByOthers()).hasSize(10);
    }
  }

  @Test
  void progress_counts_the_rows_still_pending_including_the_ones_being_run() throws Exception {
    try (Store store = store()) {
      ChunkQueue queue = new ChunkStore(store, "a", Clock.systemUTC()).queue(runId);
      assertThat(queue.progress().pendingRows()).isEqualTo(1_000);

      ChunkQueue.Claim claim = queue.claim(350).orElseThrow();
      assertThat(queue.progress().pendingRows()).isEqualTo(1_000);
      claim.complete(ScanPartial.EMPTY, Instant.now(), Duration.ofMillis(5));

      assertThat(queue.progress().pendingRows()).isEqualTo(700);
      assertThat(queue.progress().pending()).isEqualTo(7);
    }
  }

  @Test
  void a_range_held_by_another_node_ends_the_claim_before_it_and_the_ones_after_stay_free()
      throws Exception {
    try (Store store = store();
        Connection other = storeDb.dataSource().getConnection();
        Statement statement = other.createStatement()) {
      other.setAutoCommit(false);
      statement.execute(
          "SELECT 1 FROM integrity_auditor.audit_chunk WHERE run_id = "
              + runId
              + " AND ordinal = 5 FOR UPDATE");
      ChunkQueue queue = new ChunkStore(store, "a", Clock.systemUTC()).queue(runId);

      ChunkQueue.Claim claim = queue.claim(1_000).orElseThrow();

      // the batch of 1-9 met the held range: rolled back, then taken one by one up to it
      assertThat(ordinals(claim)).containsExactly(0, 1, 2, 3, 4);
      assertThat(claimableByOthers()).containsExactly(6, 7, 8, 9);
      ChunkQueue.Claim after = queue.claim(1_000).orElseThrow();
      assertThat(ordinals(after)).containsExactly(6, 7, 8, 9);
      after.release();
      claim.release();
      other.rollback();
    }
  }
}
