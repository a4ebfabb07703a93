package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.store.Leases;
import io.integrityauditor.store.RunTrigger;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Targets' concurrency limits on both sides of a reference across databases (issue 17, point 5): a
 * run holds a slot ({@code max_concurrent_audits}) of the child's and of the parent's target, taken
 * in name order. With the parent's slots full the run waits, holding nothing it would not need, and
 * runs once one is free; two audits across the same two databases in opposite directions never wait
 * for each other.
 */
class CrossDatabaseSlotsTest {
  static TestPostgres.Database app;
  static TestPostgres.Database customers;

  @TempDir Path dir;

  @BeforeAll
  static void databases() {
    app = TestPostgres.newDatabase("xslots_app");
    customers = TestPostgres.newDatabaseOnOtherServer("xslots_customers");
    // orders (in app) reference customers; invoices (in customers) reference app's accounts
    app.execute(
        """
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int);
        INSERT INTO orders VALUES (1, 10), (2, 11), (3, 99);
        CREATE TABLE accounts (id int PRIMARY KEY);
        INSERT INTO accounts VALUES (1), (2);
        """);
    customers.execute(
        """
        CREATE TABLE customers (id int PRIMARY KEY);
        INSERT INTO customers VALUES (10), (11);
        CREATE TABLE invoices (id int PRIMARY KEY, account_id int);
        INSERT INTO invoices VALUES (1, 1), (2, 7), (3, 8), (4, 2);
        """);
  }

  /** Both targets allow one audit at a time; the audits go both ways between them. */
  private Auditor auditor(TestPostgres.Database store) {
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/test.yaml",
        """
        audits:
          - id: orders.customer
            kind: orphan
            child: {target: app, table: orders, columns: [customer_id]}
            parent: {target: customers, table: customers, columns: [id]}
          - id: invoices.account
            kind: orphan
            child: {target: customers, table: invoices, columns: [account_id]}
            parent: {target: app, table: accounts, columns: [id]}
        """);
    Path config =
        workspace.write(
            "integrity-auditor.yaml",
            """
            node_id: test-node
            store: {url: %s, user: postgres}
            targets:
              app: {url: %s, user: postgres, max_concurrent_audits: 1}
              customers: {url: %s, user: postgres, max_concurrent_audits: 1}
            audits: [audits/*.yaml]
            """
                .formatted(store.url(), app.url(), customers.url()));
    return Auditor.open(workspace.load(config), Clock.systemUTC());
  }

  private static Map<String, BoundAudit> bind(Auditor auditor) {
    AuditSet set = auditor.loadAudits();
    assertThat(set.problems()).isEmpty();
    Auditor.Binding binding = auditor.bind(set.audits());
    assertThat(binding.problems()).isEmpty();
    return binding.bound().stream()
        .collect(Collectors.toMap(b -> b.audit().id(), Function.identity()));
  }

  private static CompletableFuture<AuditResult> start(Auditor auditor, BoundAudit bound) {
    return CompletableFuture.supplyAsync(
        () -> auditor.run(bound, RunTrigger.CHECK, Instant.now()).orElseThrow());
  }

  /** Whether every slot of {@code target} is taken (probing takes a free one and gives it back). */
  private static boolean full(Leases leases, String target) {
    try {
      Optional<AutoCloseable> slot = leases.trySlot(target, 1);
      if (slot.isEmpty()) {
        return true;
      }
      slot.get().close();
      return false;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long running(TestPostgres.Database store, String auditId) {
    return store.queryLong(
        "SELECT count(*) FROM integrity_auditor.audit_run WHERE status = 'running' AND audit_id = '"
            + auditId
            + "'");
  }

  private static void assertOrphans(AuditResult result, long violations, long rowsChecked) {
    assertThat(result.status()).as(String.valueOf(result.error())).isEqualTo(RunStatus.VIOLATIONS);
    assertThat(result.measurement().orElseThrow().violations()).isEqualTo(violations);
    assertThat(result.measurement().orElseThrow().rowsChecked()).isEqualTo(rowsChecked);
  }

  @Test
  void with_the_parents_slots_full_the_run_waits_holding_the_childs_slot_and_then_runs()
      throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("xslots_wait_store");
    try (Auditor auditor = auditor(store);
        Leases otherNode = new Leases(auditor.config().store().orElseThrow())) {
      BoundAudit orders = bind(auditor).get("orders.customer");
      // another node's audit holds the parent target's only slot
      AutoCloseable parentSlot = otherNode.trySlot("customers", 1).orElseThrow();
      CompletableFuture<AuditResult> run = start(auditor, orders);
      // "app" comes before "customers": the run takes the child's slot, then waits for the parent's
      Eventually.within(
          Duration.ofSeconds(60),
          "the run is recorded and holds app's slot",
          () -> running(store, "orders.customer") == 1 && full(otherNode, "app"));
      assertThat(run).isNotDone();
      assertThat(running(store, "orders.customer")).isEqualTo(1);
      parentSlot.close();
      assertOrphans(run.get(120, TimeUnit.SECONDS), 1, 3);
      assertThat(full(otherNode, "app")).as("the child's slot is given back").isFalse();
      assertThat(full(otherNode, "customers")).as("the parent's slot is given back").isFalse();
    }
  }

  @Test
  void audits_in_opposite_directions_between_two_databases_never_deadlock() throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("xslots_both_store");
    try (Auditor auditor = auditor(store);
        Leases otherNode = new Leases(auditor.config().store().orElseThrow())) {
      Map<String, BoundAudit> bound = bind(auditor);
      AutoCloseable appSlot = otherNode.trySlot("app", 1).orElseThrow();
      AutoCloseable customersSlot = otherNode.trySlot("customers", 1).orElseThrow();
      CompletableFuture<AuditResult> forward = start(auditor, bound.get("orders.customer"));
      CompletableFuture<AuditResult> backward = start(auditor, bound.get("invoices.account"));
      Eventually.within(
          Duration.ofSeconds(60),
          "both runs are recorded and waiting for slots",
          () -> running(store, "orders.customer") == 1 && running(store, "invoices.account") == 1);
      // Free the customers slot first: taking slots child first, invoices.account would now take
      // it and wait for app, and orders.customer, taking app next, would wait for it forever. In
      // name order both wait for app first, holding nothing. (The pause gives the slot pollers,
      // which back off up to 2 s, their chance; it is not an assertion.)
      customersSlot.close();
      Eventually.pause(3_000);
      appSlot.close();
      assertOrphans(forward.get(120, TimeUnit.SECONDS), 1, 3);
      assertOrphans(backward.get(120, TimeUnit.SECONDS), 2, 4);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
