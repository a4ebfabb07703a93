package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreTest {
  @TempDir Path dir;

  static Store open(TestPostgres.Database database) {
    return Store.open(
        new DatabaseConfig(database.url(), "postgres", Optional.empty(), 2, Duration.ofSeconds(5)));
  }

  @Test
  void migrations_apply_to_a_fresh_empty_database_and_are_a_no_op_when_rerun() {
    TestPostgres.Database database = TestPostgres.newDatabase("store_fresh");
    try (Store store = open(database)) {
      store.migrate();
      store.migrate();
      Flyway flyway = Store.flyway(store.dataSource());
      assertThat(flyway.info().pending()).isEmpty();
      assertThat(flyway.info().applied()).hasSizeGreaterThanOrEqualTo(2);
      assertThat(flyway.migrate().migrationsExecuted).isZero();
    }
    assertThat(
            database.queryLong(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema ="
                    + " 'integrity_auditor' AND table_name IN ('audit_run', 'audit_run_sample',"
                    + " 'alert', 'alert_sample', 'qrtz_triggers', 'qrtz_locks')"))
        .isEqualTo(6);
    assertThat(
            database.queryLong(
                "SELECT count(*) FROM integrity_auditor.qrtz_locks WHERE sched_name ="
                    + " 'integrity-auditor'"))
        .isEqualTo(2);
  }

  /**
   * One check of audit {@code a} (the rows of {@code c} whose {@code p} is missing in {@code p}) on
   * a new target database holding {@code rows}, recorded in {@code store} (which it migrates).
   */
  private Map<String, AuditResult> checkOnce(
      String targetName, TestPostgres.Database store, String rows) {
    TestPostgres.Database target = TestPostgres.newDatabase(targetName);
    target.execute(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p int);" + rows);
    return Audits.run(
        dir,
        target,
        store,
        "audits:\n  - id: a\n    kind: orphan\n    child: c.p\n    parent: p.id\n");
  }

  @Test
  void a_second_run_of_the_same_fire_time_is_refused() {
    TestPostgres.Database database = TestPostgres.newDatabase("store_idem");
    // a first check migrates the store and gives us a loaded audit to record runs for
    Map<String, AuditResult> results = checkOnce("store_target", database, "");
    try (Store store = open(database)) {
      RunStore runs = new RunStore(store, "n1", Clock.systemUTC());
      Instant fireTime = Instant.parse("2026-01-04T00:00:00Z");
      var audit = results.get("a").audit();
      Optional<Long> first = runs.begin(audit, RunTrigger.SCHEDULE, fireTime);
      Optional<Long> second = runs.begin(audit, RunTrigger.SCHEDULE, fireTime);
      assertThat(first).isPresent();
      assertThat(second).isEmpty();
      runs.finish(first.get(), results.get("a"));
      runs.finish(first.get(), results.get("a")); // finishing twice changes nothing
      List<RunView> history = runs.history("a", 10);
      assertThat(history).hasSize(2); // the check run and the scheduled one
      RunView scheduled = history.get(1);
      assertThat(scheduled.scheduledFireTime()).isEqualTo(fireTime);
      assertThat(scheduled.trigger()).isEqualTo("schedule");
      assertThat(scheduled.status()).isEqualTo("ok");
      assertThat(scheduled.violations()).isZero();
    }
  }

  /**
   * A run's start is one statement (the look for runs a stopped node left and the insert): run
   * after run on one session, so that pgjdbc prepares it on the server from the fifth on (the
   * partial unique index's predicate must then still match its ON CONFLICT), each fire time begun
   * once.
   */
  @Test
  void a_run_starts_in_one_statement_run_after_run_on_one_session() throws Exception {
    TestPostgres.Database database = TestPostgres.newDatabase("store_start");
    Map<String, AuditResult> results = checkOnce("store_start_target", database, "");
    var audit = results.get("a").audit();
    Instant first = Instant.parse("2026-01-04T00:00:00Z");
    try (Store store = open(database);
        Connection session = store.dataSource().getConnection()) {
      RunStore runs =
          new RunStore(DSL.using(session, SQLDialect.POSTGRES), "n1", Clock.systemUTC());
      for (int run = 0; run < 8; run++) {
        RunStore.Started started =
            runs.start(
                audit,
                RunTrigger.SCHEDULE,
                first.plusSeconds(60L * run),
                "stopped",
                Duration.ofMinutes(1));
        assertThat(started.abandoned().marked()).as("run %d", run).isZero();
        assertThat(started.abandoned().mayHaveLeftQueries()).isFalse();
        assertThat(started.runId()).as("run %d", run).isPresent();
        runs.finish(started.runId().get(), results.get("a"));
      }
      // a fire time that has a run is not begun again
      assertThat(runs.start(audit, RunTrigger.SCHEDULE, first, "stopped", Duration.ofMinutes(1)))
          .isEqualTo(new RunStore.Started(new RunStore.Abandoned(0, false), Optional.empty()));
      // a run left 'running' is marked interrupted before the next one begins
      long left = runs.begin(audit, RunTrigger.SCHEDULE, first.minusSeconds(60)).orElseThrow();
      RunStore.Started after =
          runs.start(
              audit,
              RunTrigger.SCHEDULE,
              first.plusSeconds(3600),
              "stopped",
              Duration.ofMinutes(1));
      assertThat(after.abandoned().marked()).isEqualTo(1);
      assertThat(after.runId()).isPresent();
      assertThat(runs.history("a", 20))
          .filteredOn(view -> view.id() == left)
          .singleElement()
          .satisfies(view -> assertThat(view.status()).isEqualTo("interrupted"));
    }
  }

  @Test
  void check_writes_every_run_with_its_samples_to_the_store() {
    TestPostgres.Database database = TestPostgres.newDatabase("store_samples");
    checkOnce("store_target2", database, "INSERT INTO c VALUES (1, 7), (2, 8);");
    try (Store store = open(database)) {
      List<RunView> history = new RunStore(store, "n1", Clock.systemUTC()).history("a", 10);
      assertThat(history)
          .singleElement()
          .satisfies(
              run -> {
                assertThat(run.status()).isEqualTo("violations");
                assertThat(run.violations()).isEqualTo(2);
                assertThat(run.rowsChecked()).isEqualTo(2);
                assertThat(run.trigger()).isEqualTo("check");
                assertThat(run.nodeId()).isEqualTo("test-node");
                assertThat(run.thresholdBreached()).isTrue();
                assertThat(run.samples())
                    .containsExactly(Map.of("id", "1", "p", "7"), Map.of("id", "2", "p", "8"));
              });
    }
  }
}
