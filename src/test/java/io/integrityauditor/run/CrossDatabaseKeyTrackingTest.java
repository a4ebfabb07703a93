package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.Audits;
import io.integrityauditor.support.Results;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reference across databases tracks every violating key like a one-database audit (issue 13's
 * new, persisting and gone, issue 17's same answers): its fingerprints come from the child's
 * server, so the split is exact across runs.
 */
class CrossDatabaseKeyTrackingTest {
  @TempDir Path dir;

  @Test
  void runs_across_databases_know_which_orphans_are_new_persist_or_are_gone() {
    TestPostgres.Database orders = TestPostgres.newDatabase("xdb_keys_orders");
    TestPostgres.Database store = TestPostgres.newDatabase("xdb_keys_store");
    TestPostgres.Database customers = TestPostgres.newDatabaseOnOtherServer("xdb_keys_customers");
    orders.execute(
        """
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        -- 40 orphans: orders 1..40 point at customers 1001..1040
        INSERT INTO orders SELECT i, CASE WHEN i <= 40 THEN 1000 + i ELSE i % 100 END
          FROM generate_series(1, 3000) i;
        """);
    customers.execute(
        "CREATE TABLE customers (id bigint PRIMARY KEY);"
            + " INSERT INTO customers SELECT generate_series(0, 99);");
    Map<String, TestPostgres.Database> targets = new LinkedHashMap<>();
    targets.put("orders", orders);
    targets.put("customers", customers);
    String yaml =
        """
        audits:
          - id: across
            kind: orphan
            sample_size: 5
            child: {target: orders, table: orders, columns: [customer_id]}
            parent: {target: customers, table: customers, columns: [id]}
        """;
    AuditResult first = Audits.run(dir, targets, store, yaml).get("across");
    orders.execute(
        "UPDATE orders SET customer_id = 1 WHERE id <= 10;"
            + "UPDATE orders SET customer_id = 5000 + id WHERE id BETWEEN 101 AND 107;");
    AuditResult second = Audits.run(dir, targets, store, yaml).get("across");
    AuditResult third = Audits.run(dir, targets, store, yaml).get("across");

    assertThat(Results.violations(first)).isEqualTo(40);
    assertThat(Results.violations(second)).isEqualTo(37);
    assertThat(Results.violations(third)).isEqualTo(37);
    List<String> splits =
        store
            .query(
                "SELECT key_tracking, new_violations, persisting_violations, gone_violations"
                    + " FROM integrity_auditor.audit_run WHERE audit_id = 'across' ORDER BY id")
            .stream()
            .map(
                r ->
                    r.get("key_tracking")
                        + " new="
                        + r.get("new_violations")
                        + " persisting="
                        + r.get("persisting_violations")
                        + " gone="
                        + r.get("gone_violations"))
            .toList();
    assertThat(splits)
        .containsExactly(
            "first new=null persisting=null gone=null",
            "exact new=7 persisting=30 gone=10",
            "exact new=0 persisting=37 gone=0");
  }
}
