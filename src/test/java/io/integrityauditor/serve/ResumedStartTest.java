package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.schedule.ReloadReport;
import io.integrityauditor.store.RunView;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TenantShop;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose audits the store already schedules as the files define them (a node joining its
 * peers, or restarting) is ready without binding every fleet member first, and binds them right
 * after; no run ever uses a member that was not bound: each run binds its audit when it fires.
 */
class ResumedStartTest {
  @TempDir Path dir;

  TestPostgres.Database shop;
  TestPostgres.Database store;
  WorkerConfig config;
  Workspace workspace;

  @BeforeEach
  void setUp() {
    // t_a has 1 orphaned order, t_b 2
    shop = TenantShop.create("resumed_shop", Map.of("t_a", 1, "t_b", 2));
    store = TestPostgres.newDatabase("resumed_store");
    workspace = new Workspace(dir);
    workspace.write(
        "audits/fleet.yaml",
        """
        audits:
          - id: orders.customer
            target: shop
            kind: orphan
            child: orders.customer_id
            parent: customers.id
            schedule: "@weekly"
        """);
    config =
        workspace.load(
            workspace.write(
                "integrity-auditor.yaml",
                """
                node_id: resumed-node
                store: {url: "%s", user: postgres}
                targets:
                  shop: {url: "%s", user: postgres, schemas: "t_*"}
                scheduler: {checkin_interval: 1s}
                http: {enabled: false}
                audits:
                  - audits/*.yaml
                """
                    .formatted(store.url(), shop.url())));
  }

  /** A first node on the store writes the jobs (nothing to resume); it is stopped. */
  private void firstNodeWritesTheJobs() throws Exception {
    try (Worker first = Worker.start(config, Clock.systemUTC())) {
      assertThat(first.resumedUnbound()).isFalse();
      assertThat(first.audits().lastReload().orElseThrow().added())
          .containsExactly("orders.customer@t_a", "orders.customer@t_b");
    }
  }

  /** The audit's finished manual run (the first node may have begun a scheduled first run). */
  private static Optional<RunView> triggered(Worker worker, String auditId) {
    return worker.runHistory(auditId, 10).stream()
        .filter(run -> run.trigger().equals("manual") && run.finishedAt() != null)
        .findFirst();
  }

  @Test
  void a_node_finding_its_audits_scheduled_starts_without_binding_them_and_binds_them_after()
      throws Exception {
    firstNodeWritesTheJobs();

    try (Worker worker = Worker.start(config, Clock.systemUTC())) {
      assertThat(worker.resumedUnbound()).isTrue();
      assertThat(worker.audits().activeAudits())
          .containsOnlyKeys("orders.customer@t_a", "orders.customer@t_b");
      // the binding after start is a reload of the same files: one catalog read, nothing written
      Eventually.within(
          Duration.ofSeconds(60),
          "the resumed audits bound",
          () -> worker.auditor().targets().catalogReads() == 1);
      Eventually.within(
          Duration.ofSeconds(60),
          "the reload after start reported",
          () -> worker.audits().lastReload().orElseThrow().active().size() == 2);
      ReloadReport report = worker.audits().lastReload().orElseThrow();
      assertThat(report.added()).isEmpty();
      assertThat(report.updated()).isEmpty();
      assertThat(report.removed()).isEmpty();
      assertThat(report.problems()).isEmpty();
    }
  }

  @Test
  void a_reload_before_the_binding_after_start_keeps_the_files_as_they_are_now() throws Exception {
    firstNodeWritesTheJobs();

    try (Worker worker = Worker.start(config, Clock.systemUTC())) {
      AuditReload.Resumed start = worker.resumedStart().orElseThrow();
      workspace.write(
          "audits/fleet.yaml",
          """
          audits:
            - id: orders.client
              target: shop
              kind: orphan
              child: orders.customer_id
              parent: customers.id
              schedule: "@weekly"
          """);
      ReloadReport reload = worker.reload();
      assertThat(reload.added()).containsExactly("orders.client@t_a", "orders.client@t_b");

      // the binding after start (whether it already ran or not) must not bring back the files
      // read at start
      assertThat(worker.reloader().bindResumed(start)).isEmpty();
      assertThat(worker.audits().activeAudits())
          .containsOnlyKeys("orders.client@t_a", "orders.client@t_b");
    }
  }

  @Test
  void a_resumed_member_that_no_longer_binds_is_recorded_as_a_config_failure_never_run()
      throws Exception {
    firstNodeWritesTheJobs();
    // t_b's orders lose the audited column between the starts: its job is unchanged (the files
    // are), so the next node resumes it, and it must not run against the catalog it was written for
    shop.execute("ALTER TABLE t_b.orders RENAME COLUMN customer_id TO client_id");

    try (Worker worker = Worker.start(config, Clock.systemUTC())) {
      assertThat(worker.resumedUnbound()).isTrue();
      assertThat(worker.trigger("orders.customer@t_a")).isTrue();
      assertThat(worker.trigger("orders.customer@t_b")).isTrue();

      Eventually.within(
          Duration.ofSeconds(60),
          "both triggered runs finished",
          () ->
              triggered(worker, "orders.customer@t_a").isPresent()
                  && triggered(worker, "orders.customer@t_b").isPresent());
      RunView ran = triggered(worker, "orders.customer@t_a").orElseThrow();
      assertThat(ran.violations()).isEqualTo(1L);
      assertThat(ran.errorClass()).isNull();
      RunView refused = triggered(worker, "orders.customer@t_b").orElseThrow();
      assertThat(refused.errorClass()).isEqualTo("config");
      assertThat(refused.violations()).isNull();
      assertThat(refused.rowsChecked()).isNull();

      // the binding after start reports it like any reload
      Eventually.within(
          Duration.ofSeconds(60),
          "the broken member reported",
          () -> !worker.audits().lastReload().orElseThrow().problems().isEmpty());
      assertThat(worker.audits().lastReload().orElseThrow().problems())
          .extracting(ConfigProblem::auditId)
          .containsExactly("orders.customer@t_b");
    }
  }
}
