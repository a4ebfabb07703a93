package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;
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

  @Test
  void a_second_run_of_the_same_fire_time_is_refused() {
    TestPostgres.Database target = TestPostgres.newDatabase("store_target");
    target.execute(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p int);");
    TestPostgres.Database database = TestPostgres.newDatabase("store_idem");
    // a first check migrates the store and gives us a loaded audit to record runs for
    Map<String, AuditResult> results =
        Audits.run(
            dir,
            target,
            database,
            "audits:\n  - id: a\n    kind: orphan\n    child: c.p\n    parent: p.id\n");
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

  @Test
  void check_writes_every_run_with_its_samples_to_the_store() {
    TestPostgres.Database target = TestPostgres.newDatabase("store_target2");
    target.execute(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p int);"
            + " INSERT INTO c VALUES (1, 7), (2, 8);");
    TestPostgres.Database database = TestPostgres.newDatabase("store_samples");
    Audits.run(
        dir,
        target,
        database,
        "audits:\n  - id: a\n    kind: orphan\n    child: c.p\n    parent: p.id\n");
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
