package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.store.RunStore;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.targets.Pools;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Timeouts and locks: a run that cannot finish is recorded as such, never as 0 violations. */
class RunSafetyTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("safety");
    db.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT generate_series(1, 10);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child SELECT i, i FROM generate_series(1, 10) i;
        -- every row of this view takes 0.2 s to produce
        CREATE VIEW slow_parent AS SELECT p.id FROM parent p WHERE pg_sleep(0.2 + 0 * p.id) IS NOT NULL;
        -- a session-level advisory lock hidden in a function: outlives the audit's rollback
        CREATE FUNCTION hold_lock_4242() RETURNS int LANGUAGE sql
          AS $$ SELECT pg_advisory_lock(4242); SELECT 1 $$;
        """);
  }

  @Test
  void audited_databases_never_get_server_prepared_statements_whose_generic_plans_guess_ranges()
      throws Exception {
    // pgjdbc prepares a statement on the server from its fifth execution on; PostgreSQL then
    // may run the generic plan, blind to a chunk's bounds (see Pools)
    try (HikariDataSource target =
            Pools.create(
                "target-test",
                new DatabaseConfig(
                    db.url(), "postgres", Optional.empty(), 1, Duration.ofSeconds(5)),
                true);
        Connection connection = target.getConnection();
        PreparedStatement chunk =
            connection.prepareStatement(
                "SELECT count(*) FROM child WHERE id >= ? AND id < ? AND parent_id IS NOT NULL")) {
      for (int i = 0; i < 10; i++) {
        chunk.setInt(1, i);
        chunk.setInt(2, i + 5);
        chunk.executeQuery().close();
      }
      try (Statement statement = connection.createStatement();
          ResultSet prepared =
              statement.executeQuery("SELECT count(*) FROM pg_prepared_statements")) {
        prepared.next();
        assertThat(prepared.getLong(1)).isZero();
      }
    }
  }

  @Test
  void the_full_audit_statement_runs_in_parallel_workers_when_the_planner_chooses_them() {
    // PostgreSQL runs a statement read through a cursor (a fetch size) in the leader alone,
    // although it plans workers: the audit reads its rows through COPY so that it does not
    db.execute(
        """
        CREATE TABLE wide_parent (id int PRIMARY KEY);
        INSERT INTO wide_parent SELECT generate_series(1, 1000);
        CREATE TABLE wide_child (id int PRIMARY KEY, parent_id int);
        INSERT INTO wide_child SELECT i, CASE WHEN i % 500 = 0 THEN -i ELSE i % 1000 + 1 END
          FROM generate_series(1, 20000) i;
        ANALYZE wide_parent, wide_child;
        """);
    String launched =
        "SELECT parallel_workers_launched FROM pg_stat_database"
            + " WHERE datname = current_database()";
    long before = db.queryLong(launched);
    AuditResult result =
        Audits.run(
                dir,
                db,
                """
                audits:
                  - id: wide
                    kind: orphan
                    child: wide_child.parent_id
                    parent: wide_parent.id
                    settings: {parallel_setup_cost: 0, parallel_tuple_cost: 0,
                               min_parallel_table_scan_size: 0, max_parallel_workers_per_gather: 2}
                """)
            .get("wide");
    assertThat(result.measurement().orElseThrow().violations()).isEqualTo(40);
    assertThat(result.measurement().orElseThrow().rowsChecked()).isEqualTo(20_000);
    assertThat(result.measurement().orElseThrow().samples()).hasSize(20);
    // the audit's connections are closed with its pool: their statistics are flushed by then
    Eventually.within(
        Duration.ofSeconds(30),
        "parallel workers launched by the audit's statement",
        () -> db.queryLong(launched) > before);
  }

  @Test
  void statement_timeout_turns_into_status_timeout_and_leaves_no_session_behind() {
    AuditResult result =
        Audits.run(
                dir,
                db,
                """
                audits:
                  - id: slow
                    kind: orphan
                    child: child.parent_id
                    parent: slow_parent.id
                    timeout: 300ms
                """)
            .get("slow");
    assertThat(result.status()).isEqualTo(RunStatus.TIMEOUT);
    assertThat(result.measurement()).isEmpty();
    assertThat(result.error().orElseThrow().errorClass()).isEqualTo("timeout");
    // newuser23: the server's words alone left on-call guessing what to change
    assertThat(result.error().orElseThrow().message())
        .contains("statement timeout")
        .endsWith(
            " (the query ran longer than the audit's timeout: raise `timeout` on the audit, or see"
                + " where the time goes with `explain AUDIT_ID --analyze`; a big table can run"
                + " `mode: chunked`)");
    assertThat(result.duration().toMillis()).isLessThan(5_000);
    assertThat(
            db.queryLong(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE"
                    + " 'integrity-auditor:%' AND state <> 'idle'"))
        .isZero();
  }

  @Test
  void a_table_locked_exclusively_fails_fast_with_the_lock_reason() throws Exception {
    try (Connection locker = db.dataSource().getConnection()) {
      locker.setAutoCommit(false);
      try (Statement statement = locker.createStatement()) {
        statement.execute("LOCK TABLE child IN ACCESS EXCLUSIVE MODE");
      }
      AuditResult result =
          Audits.run(
                  dir,
                  db,
                  """
                  audits:
                    - id: locked
                      kind: orphan
                      child: child.parent_id
                      parent: parent.id
                      lock_timeout: 200ms
                  """)
              .get("locked");
      assertThat(result.status()).isEqualTo(RunStatus.ERROR);
      assertThat(result.error().orElseThrow().errorClass()).isEqualTo("lock_timeout");
      assertThat(result.error().orElseThrow().message()).contains("lock timeout").contains("child");
      locker.rollback();
    }
  }

  @Test
  void audits_run_in_a_read_only_transaction_with_our_application_name() throws Exception {
    // A role that could write still cannot: the audit transaction itself is READ ONLY.
    AuditResult result =
        Audits.run(
                dir,
                db,
                """
                audits:
                  - id: fine
                    kind: orphan
                    child: child.parent_id
                    parent: parent.id
                """)
            .get("fine");
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    assertThat(result.measurement().orElseThrow().rowsChecked()).isEqualTo(10);
  }

  @Test
  void an_advisory_lock_taken_by_an_audit_does_not_outlive_its_run_on_the_pooled_session() {
    String yaml =
        """
        audits:
          - id: locker
            kind: sql
            allow_privileged_role: true # the tests' PostgreSQL role is its superuser
            sql: SELECT hold_lock_4242() AS id
            key_columns: [id]
            timeout: 2s
            lock_timeout: 1s
        """;
    List<RunStatus> statuses =
        Audits.withBinding(
            dir,
            db,
            null,
            yaml,
            "",
            (auditor, binding, audits) -> {
              List<RunStatus> seen = new java.util.ArrayList<>();
              for (int run = 0; run < 3; run++) {
                seen.add(auditor.runAll(binding, audits, RunTrigger.CHECK).get(0).status());
                // the pool is still open, its sessions idle: none may hold the lock
                assertThat(
                        db.queryLong(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                + " AND objid = 4242"))
                    .as("advisory locks held after run " + (run + 1))
                    .isZero();
              }
              return seen;
            });
    assertThat(statuses)
        .containsExactly(RunStatus.VIOLATIONS, RunStatus.VIOLATIONS, RunStatus.VIOLATIONS);
  }

  @Test
  void a_query_a_lost_node_left_running_is_ended_before_the_audit_runs_again() throws Exception {
    assertThat(runAfterALostNode("reclaimed", false)).isEqualTo("57P01");
  }

  @Test
  void a_query_of_a_run_a_sweeper_marked_interrupted_is_ended_before_the_audit_runs_again()
      throws Exception {
    assertThat(runAfterALostNode("swept", true)).isEqualTo("57P01");
  }

  /**
   * A node cut off from the store lost the audit's lease while its run was going: the store shows
   * the run 'running' (or, with {@code swept}, marked interrupted by a sweeper since), and its
   * query still runs on the target under the audit's application name. The audit then runs on this
   * node.
   *
   * @return how the lost node's query ended: 57P01 (admin_shutdown) when this node terminated it
   */
  private String runAfterALostNode(String auditId, boolean swept) throws Exception {
    java.util.concurrent.CompletableFuture<String> orphan =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try (Connection connection = db.dataSource().getConnection();
                  Statement statement = connection.createStatement()) {
                statement.execute("SET application_name = 'integrity-auditor:" + auditId + "'");
                statement.execute("SELECT pg_sleep(60)");
                return "finished";
              } catch (java.sql.SQLException e) {
                return e.getSQLState();
              }
            });
    Eventually.within(
        Duration.ofSeconds(10),
        "the orphaned query is running",
        () ->
            db.queryLong(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                        + " 'integrity-auditor:"
                        + auditId
                        + "' AND state = 'active'")
                == 1);
    TestPostgres.Database store = TestPostgres.newDatabase("safety_store");
    AuditResult result =
        Audits.withBinding(
            dir,
            db,
            store,
            """
            audits:
              - id: %s
                kind: orphan
                child: child.parent_id
                parent: parent.id
            """
                .formatted(auditId),
            "",
            (auditor, binding, audits) -> {
              RunStore lostNode =
                  new RunStore(auditor.store().orElseThrow(), "lost-node", Clock.systemUTC());
              lostNode.begin(audits.get(0), RunTrigger.SCHEDULE, Instant.now().minusSeconds(5));
              if (swept) {
                assertThat(lostNode.interruptAbandoned(auditId, "swept")).isEqualTo(1);
              }
              return auditor.runAll(binding, audits, RunTrigger.CHECK).get(0);
            });
    assertThat(result.status()).isEqualTo(RunStatus.OK);
    try {
      return orphan.get(10, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      db.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name ="
              + " 'integrity-auditor:"
              + auditId
              + "'");
    }
  }
}
