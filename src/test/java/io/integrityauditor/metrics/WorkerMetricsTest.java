package io.integrityauditor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.RunStore;
import io.integrityauditor.store.SkipReason;
import io.integrityauditor.store.Store;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Exposition;
import io.integrityauditor.support.TestClock;
import io.integrityauditor.support.TestPostgres;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metrics come from the store's latest results: same on every node, stable across restarts. */
class WorkerMetricsTest {
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
          schedule: "@hourly"
          lock_timeout: 200ms
        - id: never.ran
          kind: orphan
          child: orders.customer_id
          parent: customers.id
          severity: warn
      """;

  @BeforeEach
  void setUp() {
    target = TestPostgres.newDatabase("metrics_target");
    storeDb = TestPostgres.newDatabase("metrics_store");
    target.execute(
        """
        CREATE TABLE customers (id int PRIMARY KEY);
        INSERT INTO customers SELECT generate_series(1, 10);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
        INSERT INTO orders SELECT i, 1 + i % 10 FROM generate_series(1, 50) i;
        UPDATE orders SET customer_id = 99 WHERE id IN (1, 2);
        """);
  }

  private List<Audit> runOrdersAudit() {
    return Audits.run(dir, target, storeDb, AUDITS.replace("never.ran", "never_ran_placeholder"))
        .values()
        .stream()
        .map(r -> r.audit())
        .toList();
  }

  private static Store open(String url) {
    return Store.open(
        new DatabaseConfig(url, "postgres", Optional.empty(), 2, Duration.ofSeconds(2)));
  }

  private static WorkerMetrics metrics(Store store, List<Audit> audits) {
    WorkerMetrics metrics =
        new WorkerMetrics(store, new AlertStore(store, Clock.systemUTC()), "test", List.of("app"));
    metrics.auditsChanged(audits, Audit::schedule);
    metrics.refresh();
    return metrics;
  }

  private static String key(String metric, String audit) {
    return Exposition.audit(metric, audit, "orphan", "critical", "app");
  }

  /** runs_total has a status label, which sorts between severity and target. */
  private static String runs(String audit, String status) {
    return key("integrity_audit_runs_total", audit)
        .replace(",target=", ",status=\"" + status + "\",target=");
  }

  @Test
  void values_come_from_the_latest_results_in_the_store() {
    runOrdersAudit();
    List<Audit> audits = runOrdersAudit(); // two completed runs
    try (Store store = open(storeDb.url())) {
      Map<String, Double> samples = Exposition.parse(metrics(store, audits).scrape());
      String id = "orders.customer";
      assertThat(samples.get(key("integrity_audit_violations", id))).isEqualTo(2.0);
      assertThat(samples.get(key("integrity_audit_rows_checked", id))).isEqualTo(50.0);
      assertThat(samples.get(key("integrity_audit_violation_ratio", id))).isEqualTo(0.04);
      assertThat(samples.get(key("integrity_audit_threshold_breached", id))).isEqualTo(1.0);
      assertThat(samples.get(key("integrity_audit_last_run_failed", id))).isEqualTo(0.0);
      assertThat(samples.get(key("integrity_audit_expected_interval_seconds", id)))
          .isEqualTo(3600.0);
      double lastSuccess = samples.get(key("integrity_audit_last_success_timestamp_seconds", id));
      assertThat(lastSuccess)
          .isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(60.0));
      assertThat(samples.get(key("integrity_audit_last_run_timestamp_seconds", id)))
          .isEqualTo(lastSuccess);
      assertThat(samples.get(runs(id, "violations"))).isEqualTo(2.0);
      assertThat(samples.get(runs(id, "error"))).isEqualTo(0.0);
      assertThat(samples.get("integrity_audit_alerts_open{severity=\"critical\"}")).isEqualTo(1.0);
      try (Store alertsStore = open(storeDb.url())) {
        long openAlert =
            new AlertStore(alertsStore, Clock.systemUTC())
                .list(false, 10).stream()
                    .filter(a -> a.auditId().equals(id))
                    .findFirst()
                    .orElseThrow()
                    .id();
        assertThat(samples.get(key("integrity_audit_open_alert_id", id))).isEqualTo(openAlert);
      }
      assertThat(samples.get("integrity_audit_store_up")).isEqualTo(1.0);
      assertThat(samples.get("integrity_audit_build_info{version=\"test\"}")).isEqualTo(1.0);
    }
  }

  @Test
  void the_age_of_open_violations_and_the_baseline_are_exported_per_audit() {
    TestClock clock = new TestClock(Instant.parse("2026-06-01T00:00:00Z"));
    String yaml = AUDITS.replace("never.ran", "never_ran_placeholder");
    Audits.run(dir, target, storeDb, yaml, "", clock);
    clock.advance(Duration.ofDays(2).plusHours(3));
    List<Audit> audits =
        Audits.run(dir, target, storeDb, yaml, "", clock).values().stream()
            .map(r -> r.audit())
            .toList();
    try (Store store = open(storeDb.url())) {
      Map<String, Double> samples = Exposition.parse(metrics(store, audits).scrape());
      String id = "orders.customer";
      assertThat(samples.get(key("integrity_audit_oldest_violation_age_seconds", id)))
          .isEqualTo(2 * 86400.0 + 3 * 3600);
      assertThat(samples.get(key("integrity_audit_baseline_violations", id))).isEqualTo(0.0);
      assertThat(
              List.of("1h", "1d", "7d", "30d").stream()
                  .map(
                      age ->
                          samples.get(
                              key("integrity_audit_violations_older_than", id)
                                  .replace("{", "{age=\"" + age + "\",")))
                  .toList())
          .containsExactly(2.0, 2.0, 0.0, 0.0);
    }
  }

  @Test
  void every_per_audit_series_carries_the_owner_label_and_a_new_owner_replaces_the_series() {
    List<Audit> audits =
        Audits.run(
                dir, target, storeDb, AUDITS.replace("lock_timeout: 200ms", "owner: orders-team"))
            .values()
            .stream()
            .map(r -> r.audit())
            .toList();
    try (Store store = open(storeDb.url())) {
      WorkerMetrics metrics = metrics(store, audits);
      Map<String, Double> samples = Exposition.parse(metrics.scrape());
      String owned =
          Exposition.audit(
              "integrity_audit_violations",
              "orders.customer",
              "orphan",
              "orders-team",
              "critical",
              "app");
      assertThat(samples.get(owned)).isEqualTo(2.0);

      List<Audit> handedOver =
          Audits.run(dir, target, storeDb, AUDITS.replace("lock_timeout: 200ms", "owner: billing"))
              .values()
              .stream()
              .map(r -> r.audit())
              .toList();
      metrics.auditsChanged(handedOver, Audit::schedule);
      metrics.refresh();
      Map<String, Double> after = Exposition.parse(metrics.scrape());
      assertThat(after).doesNotContainKey(owned);
      assertThat(after.get(owned.replace("orders-team", "billing"))).isEqualTo(2.0);
    }
  }

  @Test
  void an_audit_that_never_ran_has_its_series_as_nan_from_start_up() {
    List<Audit> audits =
        Audits.run(dir, target, storeDb, AUDITS).values().stream().map(r -> r.audit()).toList();
    storeDb.execute("DELETE FROM integrity_auditor.audit_latest WHERE audit_id = 'never.ran'");
    storeDb.execute("DELETE FROM integrity_auditor.audit_run_total WHERE audit_id = 'never.ran'");
    try (Store store = open(storeDb.url())) {
      Map<String, Double> samples = Exposition.parse(metrics(store, audits).scrape());
      String nan =
          Exposition.audit("integrity_audit_violations", "never.ran", "orphan", "warn", "app");
      assertThat(samples.get(nan)).isNaN();
      assertThat(samples.get(nan.replace("violations{", "last_success_timestamp_seconds{")))
          .isNaN();
      assertThat(
              samples.get(
                  nan.replace("violations{", "runs_total{")
                      .replace(",target=", ",status=\"ok\",target=")))
          .isEqualTo(0.0);
      assertThat(samples.get(nan.replace("violations{", "expected_interval_seconds{")))
          .isEqualTo(7 * 24 * 3600.0);
    }
  }

  @Test
  void skipped_fire_times_are_counted_by_reason_once_each_and_never_touch_the_latest_result() {
    List<Audit> audits = runOrdersAudit();
    Audit audit = audits.stream().filter(a -> a.id().equals("orders.customer")).findFirst().get();
    Instant base = Instant.parse("2026-01-01T10:00:00Z");
    List<Instant> fireTimes = List.of(base, base.plusSeconds(3600), base.plusSeconds(7200));
    try (Store store = open(storeDb.url())) {
      RunStore runs = new RunStore(store, "n1", Clock.systemUTC());
      assertThat(runs.recordSkipped(audit, fireTimes, 0, SkipReason.OVERRUN, "test")).isEqualTo(3);
      // recorded again (a second node, a retry): each fire time is skipped once
      assertThat(runs.recordSkipped(audit, fireTimes, 0, SkipReason.OVERRUN, "test")).isZero();
      // beyond the rows kept one by one, further fire times are only counted
      assertThat(runs.recordSkipped(audit, List.of(), 2, SkipReason.OVERRUN, "test")).isZero();
      Map<String, Double> samples = Exposition.parse(metrics(store, audits).scrape());
      String skipped =
          key("integrity_audit_skipped_runs_total", "orders.customer")
              .replace(",severity=", ",reason=\"overrun\",severity=");
      assertThat(samples.get(skipped)).isEqualTo(5.0);
      assertThat(samples.get(runs("orders.customer", "violations"))).isEqualTo(1.0);
      assertThat(samples.get(key("integrity_audit_violations", "orders.customer"))).isEqualTo(2.0);
      assertThat(samples.get(key("integrity_audit_last_run_failed", "orders.customer")))
          .isEqualTo(0.0);
      assertThat(runs.history("orders.customer", 10))
          .extracting(r -> r.status() + " " + r.errorClass())
          .containsExactly(
              "violations null", "skipped overrun", "skipped overrun", "skipped overrun");
    }
  }

  @Test
  void two_nodes_sharing_a_store_export_identical_audit_series() {
    List<Audit> audits = runOrdersAudit();
    try (Store one = open(storeDb.url());
        Store two = open(storeDb.url())) {
      String first = auditSeries(metrics(one, audits).scrape());
      String second = auditSeries(metrics(two, audits).scrape());
      assertThat(first).isNotEmpty().isEqualTo(second);
    }
  }

  private static String auditSeries(String exposition) {
    return exposition
        .lines()
        .filter(l -> l.contains("audit=\""))
        .sorted()
        .collect(Collectors.joining("\n"));
  }

  @Test
  void a_failed_run_keeps_the_last_counts_and_counts_a_failure() throws Exception {
    runOrdersAudit();
    List<Audit> audits;
    try (AutoCloseable migration = target.lockExclusively("customers")) {
      audits = runOrdersAudit();
    }
    try (Store store = open(storeDb.url())) {
      Map<String, Double> samples = Exposition.parse(metrics(store, audits).scrape());
      String id = "orders.customer";
      assertThat(samples.get(key("integrity_audit_violations", id))).isEqualTo(2.0);
      assertThat(samples.get(key("integrity_audit_last_run_failed", id))).isEqualTo(1.0);
      assertThat(samples.get(key("integrity_audit_consecutive_failures", id))).isEqualTo(1.0);
      assertThat(samples.get(runs(id, "error"))).isEqualTo(1.0);
    }
  }

  @Test
  void a_scrape_answers_fast_while_the_store_is_down_and_keeps_the_last_values() throws Exception {
    List<Audit> audits = runOrdersAudit();
    try (EmbeddedPostgres own = EmbeddedPostgres.builder().start()) {
      String url = "jdbc:postgresql://localhost:" + own.getPort() + "/postgres";
      // a store on a server of its own, so that it can be stopped
      TestPostgres.Database ownDb = new TestPostgres.Database("postgres", own);
      Audits.run(dir, target, ownDb, AUDITS.replace("never.ran", "never_ran_placeholder"));
      try (Store store = open(url)) {
        WorkerMetrics metrics = metrics(store, audits);
        assertThat(Exposition.parse(metrics.scrape()).get("integrity_audit_store_up"))
            .isEqualTo(1.0);
        own.close();
        metrics.refresh();
        long start = System.nanoTime();
        Map<String, Double> samples = Exposition.parse(metrics.scrape());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).isLessThan(1000);
        assertThat(samples.get("integrity_audit_store_up")).isEqualTo(0.0);
        assertThat(samples.get(key("integrity_audit_violations", "orders.customer")))
            .isEqualTo(2.0);
      }
    }
  }
}
