package io.integrityauditor.audit.crossdb;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The re-check of a consistent audit across databases (issue 17, point 1): a row that differs from
 * its parent as the parent's stream read it is judged again against the parent's current row in a
 * fresh snapshot, so a parent updated between the two snapshots is not reported when it matches
 * now, and a reported row shows the parent's current values.
 */
class ConsistencyRecheckTest {
  @TempDir Path dir;

  private Measurement scan(
      TestPostgres.Database orders, TestPostgres.Database customers, Runnable beforeRecheck)
      throws Exception {
    return CrossDatabaseScans.executeWithRecheckHook(
        dir,
        orders,
        customers,
        """
        audits:
          - id: o
            kind: consistent
            child: {target: orders, table: orders, columns: [customer_id]}
            parent: {target: customers, table: customers, columns: [id]}
            equal: [region]
        """,
        beforeRecheck,
        false);
  }

  private static TestPostgres.Database[] databases(String name) {
    TestPostgres.Database orders = TestPostgres.newDatabase(name + "_orders");
    TestPostgres.Database customers = TestPostgres.newDatabaseOnOtherServer(name + "_customers");
    orders.execute(
        """
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, region text);
        INSERT INTO orders VALUES (1, 10, 'eu'), (2, 12, 'us'), (3, 13, 'us'), (4, 14, 'us');
        """);
    customers.execute(
        """
        CREATE TABLE customers (id bigint PRIMARY KEY, region text);
        INSERT INTO customers VALUES (10, 'eu'), (12, 'eu'), (13, 'eu'), (14, 'eu');
        """);
    return new TestPostgres.Database[] {orders, customers};
  }

  @Test
  void a_parent_that_matches_or_is_gone_on_the_recheck_is_not_reported_and_others_show_it_now()
      throws Exception {
    TestPostgres.Database[] db = databases("crecheck_moved");
    Measurement measurement =
        scan(
            db[0],
            db[1],
            () ->
                db[1].execute(
                    """
                    UPDATE customers SET region = 'us' WHERE id = 12;
                    UPDATE customers SET region = 'apac' WHERE id = 13;
                    DELETE FROM customers WHERE id = 14;
                    """));
    assertThat(measurement.violations()).isEqualTo(1);
    assertThat(measurement.rowsChecked()).isEqualTo(4);
    assertThat(measurement.samples().stream().map(SampleKey::values).toList())
        .containsExactly(
            Map.of("id", "3", "customer_id", "13", "region", "us", "customers.region", "apac"));
    assertThat(measurement.notes())
        .containsExactly(
            "2 rows that differed from its parent as first read matched its parent's current row"
                + " (or the parent was gone) on the re-check in a fresh snapshot of customers:"
                + " not counted");
  }

  @Test
  void without_a_change_every_differing_row_is_reported() throws Exception {
    TestPostgres.Database[] db = databases("crecheck_none");
    Measurement measurement = scan(db[0], db[1], () -> {});
    assertThat(measurement.violations()).isEqualTo(3);
    assertThat(measurement.rowsChecked()).isEqualTo(4);
    assertThat(measurement.notes()).isEqualTo(List.of());
  }
}
