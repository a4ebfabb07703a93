package io.integrityauditor.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure of issue 18 measured: 150 databases on one server whose {@code max_connections} is
 * far below the number of targets. {@code check} must read them all within the server's budget.
 */
class FleetCheckTest {
  static final int TENANTS = 150;
  static EmbeddedPostgres server;

  @TempDir Path dir;

  @BeforeAll
  static void fleet() throws Exception {
    server = TestPostgres.dedicated(Map.of("max_connections", "20"));
    long started = System.nanoTime();
    // tenant i has i % 3 orphaned orders: copies of three templates, one per count
    try (Connection connection = server.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      for (int orphans = 0; orphans < 3; orphans++) {
        statement.execute("CREATE DATABASE tenant_template_" + orphans);
        try (Connection template =
                server.getDatabase("postgres", "tenant_template_" + orphans).getConnection();
            Statement ddl = template.createStatement()) {
          ddl.execute(
              """
              CREATE TABLE customers (id int PRIMARY KEY);
              INSERT INTO customers SELECT generate_series(1, 10);
              CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
              INSERT INTO orders SELECT i, i FROM generate_series(1, 10) i;
              """);
          ddl.execute(
              "INSERT INTO orders SELECT 100 + n, 1000 + n FROM generate_series(1, "
                  + orphans
                  + ") n");
        }
      }
      for (int i = 1; i <= TENANTS; i++) {
        statement.execute("CREATE DATABASE " + tenant(i) + " TEMPLATE tenant_template_" + i % 3);
      }
    }
    System.out.printf(
        "fleet of %d databases created in %d ms%n",
        TENANTS, (System.nanoTime() - started) / 1_000_000);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String tenant(int i) {
    return String.format("tenant_%03d", i);
  }

  @Test
  void check_of_150_databases_on_one_server_never_holds_more_connections_than_its_budget()
      throws Exception {
    StringBuilder config = new StringBuilder("node_id: fleet\ntargets:\n");
    StringBuilder audits = new StringBuilder("audits:\n");
    for (int i = 1; i <= TENANTS; i++) {
      config
          .append("  t")
          .append(i)
          .append(":\n    url: jdbc:postgresql://localhost:")
          .append(server.getPort())
          .append('/')
          .append(tenant(i))
          .append("\n    user: postgres\n");
      audits
          .append("  - id: orders.customer.t")
          .append(i)
          .append("\n    target: t")
          .append(i)
          .append("\n    kind: orphan\n    child: orders.customer_id\n    parent: customers.id\n");
    }
    config.append("audits:\n  - audits/*.yaml\nconnection_budget:\n  per_server: 4\n");
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/fleet.yaml", audits.toString());
    Path file = workspace.write("integrity-auditor.yaml", config.toString());

    AtomicInteger mostSeen = new AtomicInteger();
    AtomicInteger samples = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    Thread sampler =
        new Thread(
            () -> {
              try (Connection connection = server.getPostgresDatabase().getConnection();
                  Statement statement = connection.createStatement()) {
                while (!done.get()) {
                  try (ResultSet rows =
                      statement.executeQuery(
                          "SELECT count(*) FROM pg_stat_activity"
                              + " WHERE application_name LIKE 'integrity-auditor%'")) {
                    rows.next();
                    mostSeen.accumulateAndGet(rows.getInt(1), Math::max);
                    samples.incrementAndGet();
                  }
                }
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    sampler.start();
    CliRunner.Outcome outcome;
    long started = System.nanoTime();
    try {
      outcome = CliRunner.execute("check", file, "--format", "json");
    } finally {
      done.set(true);
      sampler.join();
    }
    System.out.printf(
        "check of %d databases: %d ms, at most %d connections seen in %d samples%n",
        TENANTS, (System.nanoTime() - started) / 1_000_000, mostSeen.get(), samples.get());

    assertThat(outcome.code()).as(outcome.err()).isEqualTo(ExitCodes.VIOLATIONS);
    JsonNode data = Json.MAPPER.readTree(outcome.out()).get("data");
    Map<String, Long> violations = new HashMap<>();
    data.forEach(
        item -> {
          assertThat(item.get("status").asText()).as(item.toString()).isIn("ok", "violations");
          violations.put(item.get("target").asText(), item.get("violations").asLong());
        });
    assertThat(violations).hasSize(TENANTS);
    for (int i = 1; i <= TENANTS; i++) {
      assertThat(violations.get("t" + i)).as("t" + i).isEqualTo(i % 3);
    }
    assertThat(samples.get()).isPositive();
    assertThat(mostSeen.get()).isBetween(1, 4);
  }
}
