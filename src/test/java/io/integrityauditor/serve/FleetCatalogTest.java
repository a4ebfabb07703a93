package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditBinder;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.TableId;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A schema-per-tenant template's members share one read of their database's catalog, and each still
 * binds against its own schema.
 */
class FleetCatalogTest {
  static TestPostgres.Database shop;

  @TempDir Path dir;

  @BeforeAll
  static void tenants() {
    // t_a has 1 orphaned order, t_b 2; t_c has no orders table at all; plans is shared by all
    shop = TestPostgres.newDatabase("fleet_catalog");
    shop.execute(
        "CREATE TABLE public.plans (id int PRIMARY KEY); INSERT INTO public.plans VALUES (1)");
    for (String tenant : List.of("t_a", "t_b", "t_c")) {
      shop.execute(
          "CREATE SCHEMA "
              + tenant
              + "; CREATE TABLE "
              + tenant
              + ".customers (id int PRIMARY KEY); INSERT INTO "
              + tenant
              + ".customers SELECT generate_series(1, 10)");
    }
    for (String tenant : List.of("t_a", "t_b")) {
      shop.execute(
          "CREATE TABLE "
              + tenant
              + ".orders (id int PRIMARY KEY, customer_id int, plan_id int); INSERT INTO "
              + tenant
              + ".orders SELECT i, i, 1 FROM generate_series(1, 10) i");
    }
    shop.execute("INSERT INTO t_a.orders VALUES (100, 900, 1)");
    shop.execute("INSERT INTO t_b.orders VALUES (100, 900, 1), (101, 901, 7)");
  }

  private static final String AUDITS =
      """
      audits:
        - id: orders.customer
          target: shop
          kind: orphan
          child: orders.customer_id
          parent: customers.id
        - id: orders.plan
          target: shop
          tenants: ["t_a", "t_b"]
          kind: orphan
          child: orders.plan_id
          parent: public.plans.id
      """;

  private Auditor auditor() {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/fleet.yaml", AUDITS);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            "node_id: fleet\ntargets:\n  shop:\n    url: "
                + shop.url()
                + "\n    user: postgres\n    schemas: \"t_*\"\n"
                + "audits:\n  - audits/*.yaml\n");
    return Auditor.open(workspace.load(config), Clock.systemUTC());
  }

  @Test
  void binding_every_member_of_a_schema_template_reads_the_database_catalog_once() {
    try (Auditor auditor = auditor()) {
      AuditSet set = auditor.loadAudits();
      assertThat(set.audits()).hasSize(5);
      long before = auditor.targets().catalogReads();

      Auditor.Binding binding = auditor.bind(set.audits());

      // three members, one database: one read (it was one per member)
      assertThat(auditor.targets().catalogReads() - before).isEqualTo(1);
      assertThat(binding.catalogs().keySet())
          .containsExactlyInAnyOrder("shop@t_a", "shop@t_b", "shop@t_c");
    }
  }

  @Test
  void a_member_sees_its_own_schema_and_the_shared_ones_not_the_other_tenants() {
    try (Auditor auditor = auditor()) {
      AuditSet set = auditor.loadAudits();
      Catalog catalog = auditor.bind(set.audits()).catalogs().get("shop@t_a");

      assertThat(catalog.searchPath()).containsExactly("t_a");
      assertThat(catalog.tables().keySet())
          .containsExactly(
              new TableId("public", "plans"),
              new TableId("t_a", "customers"),
              new TableId("t_a", "orders"));
    }
  }

  @Test
  void a_member_whose_table_is_missing_gets_its_own_error_and_the_others_run() {
    try (Auditor auditor = auditor()) {
      AuditSet set = auditor.loadAudits();
      Auditor.Binding binding = auditor.bind(set.audits());

      assertThat(binding.problems())
          .extracting(ConfigProblem::auditId, ConfigProblem::message)
          .containsExactly(
              Tuple.tuple(
                  "orders.customer@t_c", "table orders does not exist in the search path (t_c)"));
      List<Audit> bound = binding.bound().stream().map(BoundAudit::audit).toList();
      Map<String, Long> violations = new LinkedHashMap<>();
      for (AuditResult result : auditor.runAll(binding, bound, RunTrigger.CHECK)) {
        violations.put(result.audit().id(), result.measurement().orElseThrow().violations());
      }
      assertThat(violations)
          .containsExactly(
              Map.entry("orders.customer@t_a", 1L),
              Map.entry("orders.customer@t_b", 2L),
              Map.entry("orders.plan@t_a", 0L),
              Map.entry("orders.plan@t_b", 1L));
    }
  }

  @Test
  void a_serving_node_reads_the_shared_catalog_once_for_all_members_when_it_refreshes() {
    try (Auditor auditor = auditor()) {
      AuditSet set = auditor.loadAudits();
      CatalogCache cache = new CatalogCache(auditor, Duration.ofHours(1));
      long before = auditor.targets().catalogReads();

      Map<String, Integer> boundCounts = new LinkedHashMap<>();
      for (Audit audit : set.audits()) {
        Optional<AuditBinder.Result> result = cache.bind(audit);
        boundCounts.put(audit.id(), result.orElseThrow().bound().size());
      }

      assertThat(auditor.targets().catalogReads() - before).isEqualTo(1);
      assertThat(boundCounts)
          .containsExactly(
              Map.entry("orders.customer@t_a", 1),
              Map.entry("orders.customer@t_b", 1),
              Map.entry("orders.customer@t_c", 0),
              Map.entry("orders.plan@t_a", 1),
              Map.entry("orders.plan@t_b", 1));
    }
  }
}
