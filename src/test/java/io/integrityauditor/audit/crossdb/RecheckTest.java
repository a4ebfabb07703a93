package io.integrityauditor.audit.crossdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The re-check of candidate orphans against the parent's database in a fresh snapshot (issue 17,
 * point 2): a parent that the parent's stream did not see (a lagging replica, a parent committed
 * while the audit ran) but that exists when the candidates are re-checked is not an orphan.
 */
class RecheckTest {
  /** The orphan audit from orders.customer_id to customers.id. */
  static final String AUDIT =
      """
      audits:
        - id: o
          kind: orphan
          child: {target: orders, table: orders, columns: [customer_id]}
          parent: {target: customers, table: customers, columns: [id]}
      """;

  @TempDir Path dir;

  private Measurement scan(
      TestPostgres.Database orders, TestPostgres.Database customers, Runnable beforeRecheck)
      throws Exception {
    return scan(orders, customers, beforeRecheck, true);
  }

  private Measurement scan(
      TestPostgres.Database orders,
      TestPostgres.Database customers,
      Runnable beforeRecheck,
      boolean repeatableRead)
      throws Exception {
    return CrossDatabaseScans.executeWithRecheckHook(
        dir, orders, customers, AUDIT, beforeRecheck, repeatableRead);
  }

  private static TestPostgres.Database[] databases(String name) {
    TestPostgres.Database orders = TestPostgres.newDatabase(name + "_orders");
    TestPostgres.Database customers = TestPostgres.newDatabaseOnOtherServer(name + "_customers");
    orders.execute(
        """
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        INSERT INTO orders VALUES (1, 10), (2, 12), (3, 13);
        """);
    customers.execute(
        "CREATE TABLE customers (id bigint PRIMARY KEY); INSERT INTO customers VALUES (10);");
    return new TestPostgres.Database[] {orders, customers};
  }

  @Test
  void a_parent_committed_after_the_parents_stream_began_clears_its_candidate_on_the_recheck()
      throws Exception {
    TestPostgres.Database[] db = databases("recheck_late");
    Measurement measurement =
        scan(db[0], db[1], () -> db[1].execute("INSERT INTO customers VALUES (12)"));
    assertThat(measurement.violations()).isEqualTo(1);
    assertThat(measurement.rowsChecked()).isEqualTo(3);
    assertThat(measurement.samples()).hasSize(1);
    assertThat(measurement.samples().get(0).values())
        .isEqualTo(Map.of("id", "3", "customer_id", "13"));
    assertThat(measurement.notes())
        .containsExactly(
            "1 candidate orphan found its parent on the re-check in a fresh snapshot of customers"
                + " (written while the audit ran): not counted");
  }

  @Test
  void without_a_late_parent_every_candidate_is_an_orphan() throws Exception {
    TestPostgres.Database[] db = databases("recheck_none");
    Measurement measurement = scan(db[0], db[1], () -> {});
    assertThat(measurement.violations()).isEqualTo(2);
    assertThat(measurement.notes()).isEqualTo(List.of());
  }

  @Test
  void a_child_row_written_while_the_audit_runs_is_neither_counted_nor_sampled() throws Exception {
    // the key stream counted key 13 once; the rows statement reads the same snapshot
    TestPostgres.Database[] db = databases("recheck_child_late");
    Measurement measurement =
        scan(db[0], db[1], () -> db[0].execute("INSERT INTO orders VALUES (4, 13), (5, 14)"));
    assertThat(measurement.violations()).isEqualTo(2);
    assertThat(measurement.rowsChecked()).isEqualTo(3);
    assertThat(measurement.samples().stream().map(sample -> sample.values().get("id")).toList())
        .containsExactly("2", "3");
  }

  @Test
  void more_violating_keys_than_one_rows_statement_holds_are_read_in_several() throws Exception {
    TestPostgres.Database orders = TestPostgres.newDatabase("recheck_many_orders");
    TestPostgres.Database customers = TestPostgres.newDatabaseOnOtherServer("recheck_many_cust");
    // 150,000 orphan keys (two per key): more than one rows statement's 100,000 keys
    orders.execute(
        """
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        INSERT INTO orders SELECT i, 1000000 + i / 2 FROM generate_series(0, 299999) i;
        INSERT INTO orders VALUES (300000, 10);
        """);
    customers.execute(
        "CREATE TABLE customers (id bigint PRIMARY KEY); INSERT INTO customers VALUES (10);");
    Measurement measurement = scan(orders, customers, () -> {});
    assertThat(MergeScan.KEYS_PER_STATEMENT).isLessThan(150_000);
    // and more candidates than the heap holds: the rest went through a file (CandidateKeys)
    assertThat(MergeScan.CANDIDATES_IN_MEMORY).isLessThan(150_000);
    assertThat(measurement.violations()).isEqualTo(300_000);
    assertThat(measurement.rowsChecked()).isEqualTo(300_001);
    assertThat(measurement.samples()).hasSize(20);
  }

  @Test
  void a_child_transaction_that_is_not_repeatable_read_is_refused() {
    TestPostgres.Database[] db = databases("recheck_read_committed");
    assertThatThrownBy(() -> scan(db[0], db[1], () -> {}, false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "a scan across databases reads the child in two statements: its transaction must be"
                + " REPEATABLE READ (ReadOnlyTransaction.beginRepeatableRead)");
  }
}
