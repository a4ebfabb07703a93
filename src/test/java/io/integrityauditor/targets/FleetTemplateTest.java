package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Templates: one audit file applied to every tenant database or schema found on a server. */
class FleetTemplateTest {
  static final String TABLES =
      """
      CREATE TABLE customers (id int PRIMARY KEY);
      INSERT INTO customers SELECT generate_series(1, 10);
      CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
      INSERT INTO orders SELECT i, i FROM generate_series(1, 10) i;
      """;

  static TestPostgres.Database schemas;

  @TempDir Path dir;

  @BeforeAll
  static void fleet() {
    // a database per tenant: acme has 1 orphaned order, globex 2; fleettplx_other is no tenant
    serverSql("CREATE DATABASE fleettpl_acme");
    serverSql("CREATE DATABASE fleettpl_globex");
    serverSql("CREATE DATABASE fleettplx_other");
    databaseSql("fleettpl_acme", TABLES + "INSERT INTO orders VALUES (100, 900);");
    databaseSql("fleettpl_globex", TABLES + "INSERT INTO orders VALUES (100, 900), (101, 901);");
    databaseSql("fleettplx_other", TABLES);
    // a schema per tenant: t_one has 3 orphaned orders, t_two none; other is no tenant
    schemas = TestPostgres.newDatabase("fleet_schemas");
    for (String schema : new String[] {"t_one", "t_two", "other"}) {
      schemas.execute("CREATE SCHEMA " + schema + "; SET search_path = " + schema + ";" + TABLES);
    }
    schemas.execute("INSERT INTO t_one.orders VALUES (100, 900), (101, 901), (102, 902)");
  }

  static void serverSql(String sql) {
    try (Connection connection = TestPostgres.server().getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static void databaseSql(String database, String sql) {
    try (Connection connection =
            TestPostgres.server().getDatabase("postgres", database).getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private Path workspace(String audits) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/fleet.yaml", audits);
    int port = TestPostgres.server().getPort();
    return workspace.write(
        "integrity-auditor.yaml",
        "node_id: fleet\ntargets:\n"
            + "  tenants:\n    url: jdbc:postgresql://localhost:"
            + port
            + "/postgres\n    user: postgres\n    databases: \"fleettpl_*\"\n"
            + "  shop:\n    url: "
            + schemas.url()
            + "\n    user: postgres\n    schemas: \"t_*\"\n"
            + "  plain:\n    url: "
            + schemas.url()
            + "\n    user: postgres\n");
  }

  private static final String AUDITS =
      """
      audits:
        - id: orders.customer
          target: tenants
          description: every order of ${tenant} has its customer
          kind: orphan
          child: orders.customer_id
          parent: customers.id
        - id: shop.orders.customer
          target: shop
          kind: orphan
          child: orders.customer_id
          parent: customers.id
        - id: acme.only
          target: tenants
          tenants: "*acme"
          kind: orphan
          child: orders.customer_id
          parent: customers.id
      """;

  private static Map<String, Long> violations(CliRunner.Outcome outcome) throws Exception {
    Map<String, Long> byId = new LinkedHashMap<>();
    JsonNode data = Json.MAPPER.readTree(outcome.out()).get("data");
    data.forEach(item -> byId.put(item.get("id").asText(), item.get("violations").asLong()));
    return byId;
  }

  @Test
  void check_runs_a_templates_audits_on_every_tenant_database_and_schema() throws Exception {
    CliRunner.Outcome outcome = CliRunner.execute("check", workspace(AUDITS), "--format", "json");
    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.VIOLATIONS);
    assertThat(violations(outcome))
        .containsExactly(
            Map.entry("orders.customer@fleettpl_acme", 1L),
            Map.entry("orders.customer@fleettpl_globex", 2L),
            Map.entry("shop.orders.customer@t_one", 3L),
            Map.entry("shop.orders.customer@t_two", 0L),
            Map.entry("acme.only@fleettpl_acme", 1L));
  }

  @Test
  void check_with_a_tenant_runs_only_that_tenants_audits() throws Exception {
    CliRunner.Outcome outcome =
        CliRunner.execute(
            "check", workspace(AUDITS), "--format", "json", "--tenant", "fleettpl_globex");
    assertThat(violations(outcome))
        .containsExactly(Map.entry("orders.customer@fleettpl_globex", 2L));

    CliRunner.Outcome one =
        CliRunner.execute(
            "check",
            workspace(AUDITS),
            "--format",
            "json",
            "--audit",
            "shop.orders.customer",
            "--tenant",
            "t_two");
    assertThat(violations(one)).containsExactly(Map.entry("shop.orders.customer@t_two", 0L));
    assertThat(one.code()).isEqualTo(ExitCodes.CLEAN);

    CliRunner.Outcome unknown =
        CliRunner.execute("check", workspace(AUDITS), "--tenant", "fleettpl_acmee");
    assertThat(unknown.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(unknown.err())
        .contains(
            "no template has a tenant 'fleettpl_acmee' (did you mean fleettpl_acme?); 4 tenants"
                + " known");
  }

  @Test
  void the_tenant_name_is_available_to_the_audits_as_a_variable() {
    Path config = workspace(AUDITS);
    try (Auditor auditor = Auditor.open(new Workspace(dir).load(config), Clock.systemUTC())) {
      AuditSet set = auditor.loadAudits();
      assertThat(set.problems()).isEmpty();
      Audit acme = set.find("orders.customer@fleettpl_acme").orElseThrow();
      assertThat(acme.description()).contains("every order of fleettpl_acme has its customer");
      assertThat(acme.target()).isEqualTo("tenants@fleettpl_acme");
    }
  }

  @Test
  void a_new_tenant_is_picked_up_and_a_dropped_one_retired_on_the_next_load() {
    Path config = workspace(AUDITS);
    try (Auditor auditor = Auditor.open(new Workspace(dir).load(config), Clock.systemUTC())) {
      assertThat(auditor.loadAudits().audits().stream().map(Audit::id))
          .doesNotContain("orders.customer@fleettpl_initech");
      serverSql("CREATE DATABASE fleettpl_initech");
      databaseSql("fleettpl_initech", TABLES);
      AuditSet withNew = auditor.loadAudits();
      assertThat(withNew.audits().stream().map(Audit::id))
          .contains("orders.customer@fleettpl_initech");
      Auditor.Binding binding = auditor.bind(withNew.audits());
      assertThat(binding.problems()).isEmpty();
      assertThat(binding.unavailable()).isEmpty();

      // the worker's idle connection to the tenant ends with the database (FORCE)
      serverSql("DROP DATABASE fleettpl_initech WITH (FORCE)");
      AuditSet afterDrop = auditor.loadAudits();
      assertThat(afterDrop.problems()).isEmpty();
      assertThat(afterDrop.audits().stream().map(Audit::id))
          .doesNotContain("orders.customer@fleettpl_initech")
          .contains("orders.customer@fleettpl_acme");
      assertThat(auditor.bind(afterDrop.audits()).unavailable()).isEmpty();
    }
  }

  @Test
  void narrowing_tenants_on_a_single_database_is_refused_at_its_line() {
    CliRunner.Outcome outcome =
        CliRunner.execute(
            "check",
            workspace(
                """
                audits:
                  - id: narrowed
                    target: plain
                    tenants: "t_*"
                    kind: orphan
                    child: t_one.orders.customer_id
                    parent: t_one.customers.id
                """));
    assertThat(outcome.code()).isEqualTo(ExitCodes.CONFIG_ERROR);
    assertThat(outcome.err())
        .contains(
            "fleet.yaml:4: audit 'narrowed': key 'tenants': narrows the tenants of a template (a"
                + " target with databases: or schemas:); target plain is a single database");
  }
}
