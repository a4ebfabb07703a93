package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The scan of an audit from {@code orders} (target {@code orders}) to {@code customers} (target
 * {@code customers}), bound through the real loaders and run on a connection to each database.
 */
final class CrossDatabaseScans {
  private CrossDatabaseScans() {}

  /** The scan of the one audit in {@code auditYaml}. */
  static CrossDatabaseScan bind(
      Path dir, TestPostgres.Database orders, TestPostgres.Database customers, String auditYaml) {
    Map<String, TestPostgres.Database> targets = new LinkedHashMap<>();
    targets.put("orders", orders);
    targets.put("customers", customers);
    return Audits.withBinding(
        dir,
        targets,
        auditYaml,
        null,
        (auditor, binding, audits) ->
            binding.bound().get(0).query().acrossDatabases().orElseThrow());
  }

  /**
   * Binds the scan of the one audit in {@code auditYaml} and runs it (statements limited to 30 s,
   * locks to 5 s) with {@code beforeRecheck} run before each re-check of the parent: where a test
   * changes the parent between its two snapshots.
   */
  static Measurement executeWithRecheckHook(
      Path dir,
      TestPostgres.Database orders,
      TestPostgres.Database customers,
      String auditYaml,
      Runnable beforeRecheck,
      boolean repeatableRead)
      throws Exception {
    ScanAcross scan = (ScanAcross) bind(dir, orders, customers, auditYaml);
    return execute(
        scan.beforeRecheck(beforeRecheck),
        orders,
        customers,
        new ReadOnlyTransaction.Limits(
            Duration.ofSeconds(30), Duration.ofSeconds(5), Optional.empty(), Map.of()),
        repeatableRead,
        Duration.ofSeconds(30));
  }

  /**
   * Runs {@code scan} with the child's side in a read-only transaction ({@code REPEATABLE READ}
   * when {@code repeatableRead}, as a run does) and the parent's in a {@code READ COMMITTED} one;
   * both are rolled back.
   */
  static Measurement execute(
      CrossDatabaseScan scan,
      TestPostgres.Database orders,
      TestPostgres.Database customers,
      ReadOnlyTransaction.Limits limits,
      boolean repeatableRead,
      Duration timeout)
      throws Exception {
    try (Connection child = orders.dataSource().getConnection();
        Connection parent = customers.dataSource().getConnection()) {
      parent.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      try {
        return scan.execute(
            repeatableRead
                ? ReadOnlyTransaction.beginRepeatableRead(child, limits)
                : ReadOnlyTransaction.begin(child, limits),
            ReadOnlyTransaction.begin(parent, limits),
            KeySink.NONE,
            timeout);
      } finally {
        ReadOnlyTransaction.rollbackQuietly(child);
        ReadOnlyTransaction.rollbackQuietly(parent);
      }
    }
  }
}
