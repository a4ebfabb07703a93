package io.integrityauditor.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.RestartablePostgres;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of a reference across databases (issue 17, point 5): either database down, stopped in the
 * middle of a run, locked or slow gives an error or a timeout, never "0 orphans"; a run after the
 * database is back measures again.
 */
class CrossDatabaseFaultTest {
  private static final String ORDERS =
      """
      CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
      INSERT INTO orders SELECT i, i % 120 FROM generate_series(1, 5000) i;
      """;
  private static final String CUSTOMERS =
      """
      CREATE TABLE customers (id bigint PRIMARY KEY);
      INSERT INTO customers SELECT generate_series(0, 99);
      """;
  // ids 100..119: 20 of every 120 orders have no customer
  private static final long ORPHANS = 5000 / 120 * 20 + Math.max(0, 5000 % 120 - 100);

  @TempDir Path dir;

  private static final String AUDIT =
      """
      audits:
        - id: orders.customer
          kind: orphan
          timeout: %s
          lock_timeout: %s
          child: {target: orders, table: orders, columns: [customer_id]}
          parent: {target: customers, table: customers, columns: [id]}
      """;

  private AuditResult run(String ordersUrl, String customersUrl, String timeout, String lock) {
    Workspace workspace = new Workspace(dir);
    workspace.write("audits/a.yaml", AUDIT.formatted(timeout, lock));
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            node_id: fault-node
            targets:
              orders: {url: "%s", user: postgres, connect_timeout: 2s}
              customers: {url: "%s", user: postgres, connect_timeout: 2s}
            retry: {attempts: 2, initial_backoff: 200ms}
            audits: [audits/*.yaml]
            """
                .formatted(ordersUrl, customersUrl));
    try (Auditor auditor = Auditor.open(workspace.load(config), Clock.systemUTC())) {
      AuditSet set = auditor.loadAudits();
      assertThat(set.problems()).isEmpty();
      Auditor.Binding binding = auditor.bind(set.audits());
      assertThat(binding.problems()).isEmpty();
      List<AuditResult> results = auditor.runAll(binding, set.audits(), RunTrigger.CHECK);
      assertThat(results).hasSize(1);
      return results.get(0);
    }
  }

  /** Whether an audit's statement waits for a lock on {@code database}'s server. */
  private static boolean auditWaitsForLock(TestPostgres.Database database) {
    return database.queryLong(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE"
                + " 'integrity-auditor:%' AND wait_event_type = 'Lock'")
        > 0;
  }

  @Test
  void a_parent_database_down_before_or_stopped_during_a_run_is_an_error_then_measured_again()
      throws Exception {
    TestPostgres.Database orders = TestPostgres.newDatabase("xdb_fault_orders");
    orders.execute(ORDERS);
    try (RestartablePostgres customers = new RestartablePostgres(dir.resolve("customers-data"))) {
      customers.database().execute(CUSTOMERS);
      AuditResult healthy = run(orders.url(), customers.url(), "60s", "60s");
      assertThat(healthy.status()).isEqualTo(RunStatus.VIOLATIONS);
      assertThat(healthy.measurement().orElseThrow().violations()).isEqualTo(ORPHANS);

      // stopped in the middle: the parent's stream waits for a lock, then the server goes away
      AuditResult stopped =
          stoppedWhileTheAuditWaits(customers, "customers", orders.url(), customers.url());
      assertThat(stopped.status()).isEqualTo(RunStatus.ERROR);
      assertThat(stopped.measurement()).isEmpty();
      assertThat(stopped.error().orElseThrow().errorClass()).isEqualTo("connection");

      // down before the run: its catalog cannot be read, the audit cannot run
      AuditResult down = run(orders.url(), customers.url(), "60s", "60s");
      assertThat(down.status()).isEqualTo(RunStatus.ERROR);
      assertThat(down.measurement()).isEmpty();
      assertThat(down.error().orElseThrow().message()).contains("target customers");

      customers.start();
      AuditResult back = run(orders.url(), customers.url(), "60s", "60s");
      assertThat(back.measurement().orElseThrow().violations()).isEqualTo(ORPHANS);
    }
  }

  @Test
  void a_child_database_stopped_during_a_run_is_an_error() throws Exception {
    TestPostgres.Database customers = TestPostgres.newDatabaseOnOtherServer("xdb_fault_customers");
    customers.execute(CUSTOMERS);
    try (RestartablePostgres orders = new RestartablePostgres(dir.resolve("orders-data"))) {
      orders.database().execute(ORDERS);
      AuditResult stopped =
          stoppedWhileTheAuditWaits(orders, "orders", orders.url(), customers.url());
      assertThat(stopped.status()).isEqualTo(RunStatus.ERROR);
      assertThat(stopped.measurement()).isEmpty();
    }
  }

  @Test
  void lock_and_statement_timeouts_hold_on_the_parents_side() throws Exception {
    TestPostgres.Database orders = TestPostgres.newDatabase("xdb_timeout_orders");
    TestPostgres.Database customers =
        TestPostgres.newDatabaseOnOtherServer("xdb_timeout_customers");
    orders.execute(ORDERS);
    customers.execute(CUSTOMERS);
    try (AutoCloseable lock = customers.lockExclusively("customers")) {
      AuditResult locked = run(orders.url(), customers.url(), "60s", "500ms");
      assertThat(locked.status()).isEqualTo(RunStatus.ERROR);
      assertThat(locked.error().orElseThrow().errorClass()).isEqualTo("lock_timeout");
      assertThat(locked.error().orElseThrow().message()).contains("target customers");

      AuditResult slow = run(orders.url(), customers.url(), "1s", "30s");
      assertThat(slow.status()).isEqualTo(RunStatus.TIMEOUT);
      assertThat(slow.measurement()).isEmpty();
    }
  }

  /**
   * Runs the audit while {@code table} on {@code server} is locked, stops that server once the
   * audit waits for the lock, and returns the run's result.
   */
  private AuditResult stoppedWhileTheAuditWaits(
      RestartablePostgres server, String table, String ordersUrl, String customersUrl)
      throws Exception {
    AutoCloseable lock = server.database().lockExclusively(table);
    CompletableFuture<AuditResult> during =
        CompletableFuture.supplyAsync(() -> run(ordersUrl, customersUrl, "60s", "60s"));
    Eventually.within(
        Duration.ofSeconds(60),
        "the audit waits for the lock on " + table,
        () -> auditWaitsForLock(server.database()));
    server.stop();
    try {
      lock.close();
    } catch (Exception gone) {
      // its server is stopped
    }
    return during.get();
  }
}
