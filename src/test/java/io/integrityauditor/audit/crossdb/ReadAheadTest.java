package io.integrityauditor.audit.crossdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.targets.ReadOnlyTransaction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two key streams of a scan across databases are read on two threads at once ({@link
 * ReadAhead}): one side failing while the other's statement still runs makes the scan an error
 * (never a count), and the other side's statement is cancelled on its server rather than left to
 * finish — here it waits on a lock that is never released during the scan, so without the cancel
 * the scan would not return for the ten minutes of its lock timeout.
 */
class ReadAheadTest {
  @TempDir Path dir;

  private final ExecutorService executor = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static TestPostgres.Database[] databases(String name) {
    TestPostgres.Database orders = TestPostgres.newDatabase(name + "_orders");
    TestPostgres.Database customers = TestPostgres.newDatabaseOnOtherServer(name + "_customers");
    orders.execute(
        """
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        INSERT INTO orders SELECT i, i % 100 FROM generate_series(1, 1000) i;
        """);
    customers.execute(
        """
        CREATE TABLE customers (id bigint PRIMARY KEY);
        INSERT INTO customers SELECT i FROM generate_series(1, 90) i;
        """);
    return new TestPostgres.Database[] {orders, customers};
  }

  private MergeScan bind(TestPostgres.Database orders, TestPostgres.Database customers) {
    return (MergeScan) CrossDatabaseScans.bind(dir, orders, customers, RecheckTest.AUDIT);
  }

  /** Runs the scan on a thread of the test; a lock waits up to ten minutes on either side. */
  private Future<Measurement> scan(
      MergeScan scan, TestPostgres.Database orders, TestPostgres.Database customers) {
    ReadOnlyTransaction.Limits limits =
        new ReadOnlyTransaction.Limits(
            Duration.ofMinutes(10), Duration.ofMinutes(10), Optional.empty(), Map.of());
    return executor.submit(
        () ->
            CrossDatabaseScans.execute(
                scan, orders, customers, limits, true, Duration.ofMinutes(10)));
  }

  private static long waitingOnLocks(TestPostgres.Database database) {
    return database.queryLong(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND wait_event_type = 'Lock'");
  }

  @Test
  void both_streams_read_at_once_find_the_same_orphans() throws Exception {
    TestPostgres.Database[] db = databases("readahead_ok");
    Measurement measurement = scan(bind(db[0], db[1]), db[0], db[1]).get(2, TimeUnit.MINUTES);
    // keys 0 and 91..99: 10 of every 100 rows
    assertThat(measurement.violations()).isEqualTo(100);
    assertThat(measurement.rowsChecked()).isEqualTo(1000);
  }

  @Test
  void the_parents_stream_failing_while_the_childs_waits_fails_the_scan_and_cancels_the_childs()
      throws Exception {
    TestPostgres.Database[] db = databases("readahead_parent_fails");
    MergeScan scan = bind(db[0], db[1]);
    // the parent's stream fails at once; the child's waits behind a lock held by the test
    db[1].execute("DROP TABLE customers");
    try (AutoCloseable lock = db[0].lockExclusively("orders")) {
      Future<Measurement> running = scan(scan, db[0], db[1]);
      assertThatThrownBy(() -> running.get(2, TimeUnit.MINUTES))
          .hasCauseInstanceOf(DataAccessException.class)
          .hasMessageContaining("target customers: ")
          .hasMessageContaining("customers");
      // the lock is still held: the child's statement no longer waits for it
      assertThat(waitingOnLocks(db[0])).isZero();
    }
  }

  @Test
  void the_childs_stream_failing_while_the_parents_waits_fails_the_scan_and_cancels_the_parents()
      throws Exception {
    TestPostgres.Database[] db = databases("readahead_child_fails");
    MergeScan scan = bind(db[0], db[1]);
    db[0].execute("DROP TABLE orders");
    try (AutoCloseable lock = db[1].lockExclusively("customers")) {
      Future<Measurement> running = scan(scan, db[0], db[1]);
      assertThatThrownBy(() -> running.get(2, TimeUnit.MINUTES))
          .hasCauseInstanceOf(DataAccessException.class)
          .hasMessageContaining("target orders: ");
      assertThat(waitingOnLocks(db[1])).isZero();
    }
  }
}
