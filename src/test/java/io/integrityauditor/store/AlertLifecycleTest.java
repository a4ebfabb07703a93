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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Alert records: open, update (new vs persisting keys), resolve, acknowledge, prune. */
class AlertLifecycleTest {
  @TempDir Path dir;

  TestPostgres.Database target;
  TestPostgres.Database storeDb;

  static final String AUDITS =
      """
      audits:
        - id: orders.customer
          kind: orphan
          child: orders.customer_id
          parent: customers.id
          severity: warn
          lock_timeout: 200ms
          threshold: {max_violations: 1}
      """;

  @BeforeEach
  void setUp() {
    target = TestPostgres.newDatabase("alert_target");
    storeDb = TestPostgres.newDatabase("alert_store");
    target.execute(
        """
        CREATE TABLE customers (id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 10);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
        INSERT INTO orders SELECT i, 1 + i % 10 FROM generate_series(1, 50) i;
        """);
  }

  private AuditResult check() {
    return Audits.run(dir, target, storeDb, AUDITS).get("orders.customer");
  }

  private Store store() {
    return Store.open(
        new DatabaseConfig(storeDb.url(), "postgres", Optional.empty(), 2, Duration.ofSeconds(5)));
  }

  private List<AlertView> alerts(boolean all) {
    try (Store store = store()) {
      return new AlertStore(store, Clock.systemUTC()).list(all, 100);
    }
  }

  @Test
  void an_alert_opens_updates_with_new_and_persisting_keys_and_resolves() {
    target.execute("UPDATE orders SET customer_id = 100 WHERE id = 1");
    check(); // 1 violation: under the threshold of "more than 1"
    assertThat(alerts(true)).isEmpty();

    target.execute("UPDATE orders SET customer_id = 101 WHERE id = 2");
    check(); // 2 violations: opens
    AlertView opened = alerts(false).get(0);
    assertThat(opened.state()).isEqualTo("open");
    assertThat(opened.severity()).isEqualTo("warn");
    assertThat(opened.currentViolations()).isEqualTo(2);
    assertThat(opened.newKeys())
        .containsExactly(
            Map.of("id", "1", "customer_id", "100"), Map.of("id", "2", "customer_id", "101"));
    assertThat(opened.persistingKeys()).isEmpty();

    target.execute(
        "UPDATE orders SET customer_id = 102 WHERE id = 3; UPDATE orders SET customer_id = 1 WHERE id = 1");
    check(); // key 1 fixed, key 2 persists, key 3 new
    AlertView updated = alerts(false).get(0);
    assertThat(updated.id()).isEqualTo(opened.id());
    assertThat(updated.currentViolations()).isEqualTo(2);
    assertThat(updated.maxViolations()).isEqualTo(2);
    assertThat(updated.newKeys()).containsExactly(Map.of("id", "3", "customer_id", "102"));
    assertThat(updated.persistingKeys()).containsExactly(Map.of("id", "2", "customer_id", "101"));
    assertThat(updated.goneKeys()).containsExactly(Map.of("id", "1", "customer_id", "100"));
    assertThat(updated.lastSeenAt()).isAfter(opened.lastSeenAt());

    target.execute("UPDATE orders SET customer_id = 1 WHERE id IN (2, 3)");
    check(); // clean: resolves
    assertThat(alerts(false)).isEmpty();
    AlertView resolved = alerts(true).get(0);
    assertThat(resolved.state()).isEqualTo("resolved");
    assertThat(resolved.currentViolations()).isZero();
    assertThat(resolved.maxViolations()).isEqualTo(2);
    assertThat(resolved.resolvedAt()).isNotNull();

    target.execute("UPDATE orders SET customer_id = 200 WHERE id IN (4, 5)");
    check(); // a new breach opens a new record; history keeps the old one
    assertThat(alerts(true)).hasSize(2);
    assertThat(alerts(false))
        .singleElement()
        .satisfies(a -> assertThat(a.id()).isNotEqualTo(opened.id()));
  }

  @Test
  void an_alert_record_carries_the_owner_its_audit_names_when_opened_and_when_seen_again() {
    target.execute("UPDATE orders SET customer_id = 100 WHERE id IN (1, 2)");
    Audits.run(dir, target, storeDb, AUDITS.replace("severity: warn", "owner: orders-team"));
    assertThat(alerts(false))
        .singleElement()
        .satisfies(a -> assertThat(a.owner()).isEqualTo("orders-team"));
    // the audit file changed hands: the open record follows it
    Audits.run(dir, target, storeDb, AUDITS.replace("severity: warn", "owner: billing"));
    assertThat(alerts(false))
        .singleElement()
        .satisfies(a -> assertThat(a.owner()).isEqualTo("billing"));
    // and an audit nobody owns records none
    Audits.run(dir, target, storeDb, AUDITS);
    assertThat(alerts(false)).singleElement().satisfies(a -> assertThat(a.owner()).isNull());
  }

  @Test
  void a_run_that_did_not_complete_neither_opens_nor_resolves() throws Exception {
    target.execute("UPDATE orders SET customer_id = 100 WHERE id IN (1, 2)");
    check();
    assertThat(alerts(false)).hasSize(1);
    target.execute("UPDATE orders SET customer_id = 1");
    try (AutoCloseable migration = target.lockExclusively("customers")) {
      AuditResult failed = check();
      assertThat(failed.status().completed()).isFalse();
    }
    assertThat(alerts(false)).hasSize(1); // not resolved by a run that proved nothing
  }

  @Test
  void rerunning_the_same_fire_time_changes_nothing() {
    target.execute("UPDATE orders SET customer_id = 100 WHERE id IN (1, 2)");
    AuditResult result = check();
    try (Store store = store()) {
      RunStore runs = new RunStore(store, "n", Clock.systemUTC());
      Instant fireTime = Instant.parse("2026-02-01T00:00:00Z");
      long runId = runs.begin(result.audit(), RunTrigger.SCHEDULE, fireTime).orElseThrow();
      runs.finish(runId, result);
      AlertView before = new AlertStore(store, Clock.systemUTC()).list(false, 10).get(0);
      assertThat(runs.begin(result.audit(), RunTrigger.SCHEDULE, fireTime)).isEmpty();
      runs.finish(runId, result); // a duplicate finish is ignored too
      AlertView after = new AlertStore(store, Clock.systemUTC()).list(false, 10).get(0);
      assertThat(after).isEqualTo(before);
      assertThat(
              storeDb.queryLong(
                  "SELECT runs FROM integrity_auditor.audit_run_total WHERE status = 'violations'"))
          .isEqualTo(2);
    }
  }

  @Test
  void on_call_acknowledges_an_open_alert() {
    target.execute("UPDATE orders SET customer_id = 100 WHERE id IN (1, 2)");
    check();
    long id = alerts(false).get(0).id();
    try (Store store = store()) {
      AlertStore alertStore = new AlertStore(store, Clock.systemUTC());
      assertThat(alertStore.acknowledge(id, "alice", "known; fix in OPS-42"))
          .isEqualTo(AlertStore.AckResult.ACKNOWLEDGED);
      assertThat(alertStore.acknowledge(999, "alice", ""))
          .isEqualTo(AlertStore.AckResult.NOT_FOUND);
      AlertView acked = alertStore.find(id).orElseThrow();
      assertThat(acked.acknowledgedBy()).isEqualTo("alice");
      assertThat(acked.acknowledgementNote()).isEqualTo("known; fix in OPS-42");
      assertThat(acked.acknowledgedAt()).isNotNull();
      assertThat(alertStore.openBySeverity().get("warn")).containsExactly(1, 0);
    }
    target.execute("UPDATE orders SET customer_id = 1");
    check();
    try (Store store = store()) {
      assertThat(new AlertStore(store, Clock.systemUTC()).acknowledge(id, "bob", ""))
          .isEqualTo(AlertStore.AckResult.NOT_OPEN);
    }
  }

  @Test
  void retention_prunes_old_runs_and_resolved_alerts_but_keeps_open_ones() {
    target.execute("UPDATE orders SET customer_id = 100 WHERE id IN (1, 2)");
    check();
    target.execute("UPDATE orders SET customer_id = 1");
    check();
    target.execute("UPDATE orders SET customer_id = 300 WHERE id IN (7, 8)");
    check(); // a second, open alert
    try (Store store = store()) {
      Instant future = Instant.now().plus(Duration.ofDays(91));
      assertThat(new RunStore(store, "n", Clock.systemUTC()).pruneFinished(future)).isEqualTo(3);
      assertThat(new AlertStore(store, Clock.systemUTC()).pruneResolved(future)).isEqualTo(1);
      assertThat(new AlertStore(store, Clock.systemUTC()).list(true, 10))
          .singleElement()
          .satisfies(a -> assertThat(a.state()).isEqualTo("open"));
      assertThat(storeDb.queryLong("SELECT count(*) FROM integrity_auditor.audit_run_sample"))
          .isZero();
      // totals are monotonic: pruning never makes a counter go down
      assertThat(storeDb.queryLong("SELECT sum(runs) FROM integrity_auditor.audit_run_total"))
          .isEqualTo(3);
    }
  }
}
