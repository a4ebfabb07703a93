package io.integrityauditor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.TenantShop;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trigger --tenant} against a running cluster: {@code serve} in a child JVM (one Quartz
 * scheduler of a name per JVM: the command's client scheduler lives in this one), a schema-per-
 * tenant template, the result read from the store.
 */
class TriggerTenantTest {
  @TempDir Path dir;

  ChildNode node;

  @AfterEach
  void stop() throws InterruptedException {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void trigger_with_a_tenant_runs_that_tenants_audit_once_and_an_unknown_tenant_names_the_known()
      throws Exception {
    // t_a has 1 orphaned order, t_b 2; other is no tenant
    TestPostgres.Database shop =
        TenantShop.create("trigger_tenants", Map.of("t_a", 1, "t_b", 2, "other", 0));
    TestPostgres.Database store = TestPostgres.newDatabase("trigger_store");

    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/shop.yaml",
        """
        audits:
          - id: orders.customer
            target: shop
            kind: orphan
            child: orders.customer_id
            parent: customers.id
            schedule: "@yearly"
        """);
    // no first run within the test (a week's window), so the only run is the triggered one
    Path config =
        workspace.node(
            "n1",
            store.url(),
            Workspace.target("shop", shop.url(), "schemas: \"t_*\""),
            """
            scheduler:
              checkin_interval: 1s
              first_run_window: 7d
            http:
              enabled: false
            """);
    node = ChildNode.serve("n1", config, dir);
    node.awaitServing();

    Instant asked = Instant.now();
    CliRunner.Outcome queued =
        CliRunner.execute("trigger", config, "orders.customer", "--tenant", "t_b");
    assertThat(queued.code()).as(queued.err()).isEqualTo(ExitCodes.CLEAN);
    assertThat(queued.out()).contains("queued: orders.customer@t_b");
    ChildNode.within(
        List.of(node),
        Duration.ofSeconds(60),
        "the manual run of orders.customer@t_b finished",
        () ->
            store.queryLong(
                    "SELECT count(*) FROM integrity_auditor.audit_run WHERE trigger_type = 'manual'"
                        + " AND finished_at IS NOT NULL")
                == 1);
    List<Map<String, Object>> runs =
        store.query(
            "SELECT audit_id, trigger_type, status, violations, started_at"
                + " FROM integrity_auditor.audit_run ORDER BY id");
    assertThat(runs).hasSize(1);
    Map<String, Object> run = runs.get(0);
    assertThat(run)
        .containsEntry("audit_id", "orders.customer@t_b")
        .containsEntry("trigger_type", "manual")
        .containsEntry("status", "violations")
        .containsEntry("violations", 2L);
    // Quartz noticed the trigger another process wrote when its scheduler thread next looked at
    // the store: within its idle wait, which the worker sets to the check-in interval (1 s here;
    // Quartz's own default of 30 s made the run wait 25 s)
    Duration waited = Duration.between(asked, ((Timestamp) run.get("started_at")).toInstant());
    System.out.println("trigger --tenant: the run started " + waited.toMillis() + " ms after it");

    CliRunner.Outcome unknown =
        CliRunner.execute("trigger", config, "orders.customer", "--tenant", "nope");
    assertThat(unknown.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(unknown.err())
        .contains("no audit 'orders.customer@nope' is scheduled in the cluster")
        .contains("orders.customer runs for 2 tenants: t_a, t_b")
        .contains("trigger orders.customer --tenant t_a");
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.audit_run WHERE trigger_type = 'manual'"))
        .isEqualTo(1);
  }
}
