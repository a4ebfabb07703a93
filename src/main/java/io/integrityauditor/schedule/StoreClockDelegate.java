package io.integrityauditor.schedule;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.quartz.impl.jdbcjobstore.PostgreSQLDelegate;

/**
 * Quartz's PostgreSQL delegate, writing each node's check-in in the store's time rather than the
 * node's own (see {@link StoreClockJobStore}), and storing fleet audits' spread cron triggers.
 * Public only because Quartz instantiates it by name.
 */
public class StoreClockDelegate extends PostgreSQLDelegate {
  /** Quartz's trigger types, and the spread cron of fleet audits ({@link SpreadCronTrigger}). */
  @Override
  protected void addDefaultTriggerPersistenceDelegates() {
    super.addDefaultTriggerPersistenceDelegates();
    addTriggerPersistenceDelegate(new SpreadCronTriggerPersistence());
  }

  @Override
  public int insertSchedulerState(
      Connection conn, String theInstanceId, long checkInTime, long interval) throws SQLException {
    return super.insertSchedulerState(conn, theInstanceId, storeMillis(conn), interval);
  }

  @Override
  public int updateSchedulerState(Connection conn, String theInstanceId, long checkInTime)
      throws SQLException {
    return super.updateSchedulerState(conn, theInstanceId, storeMillis(conn));
  }

  /**
   * How long one reading of the store's clock may take. The statement takes milliseconds; a store
   * that does not answer (its server frozen, a network path that drops packets without a reset)
   * left it waiting for ever, and with it the scheduler's check-in, misfire handling and recovery
   * of dead peers. Below Quartz's 7.5 s grace after a missed check-in, so that the node's next
   * attempt (after {@code dbFailureRetryInterval}) still comes before its peers declare it dead.
   */
  static final Duration CLOCK_READ_TIMEOUT = Duration.ofSeconds(5);

  /** The store's clock now, in epoch milliseconds, read within {@link #CLOCK_READ_TIMEOUT}. */
  static long storeMillis(Connection conn) throws SQLException {
    return storeMillis(conn, CLOCK_READ_TIMEOUT);
  }

  /**
   * The store's clock now, in epoch milliseconds; a reading not answered within {@code timeout}
   * fails and closes the connection (a socket timeout: a cancel request would need the same
   * unresponsive server to answer).
   */
  static long storeMillis(Connection conn, Duration timeout) throws SQLException {
    int before = conn.getNetworkTimeout();
    conn.setNetworkTimeout(Runnable::run, Math.toIntExact(timeout.toMillis()));
    try (PreparedStatement statement =
            conn.prepareStatement("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
        ResultSet result = statement.executeQuery()) {
      result.next();
      return result.getLong(1);
    } finally {
      // after a timeout the driver has closed the connection: nothing to restore
      if (!conn.isClosed()) {
        conn.setNetworkTimeout(Runnable::run, before);
      }
    }
  }
}
