package io.integrityauditor.schedule;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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

  /** The store's clock now, in epoch milliseconds. */
  static long storeMillis(Connection conn) throws SQLException {
    try (PreparedStatement statement =
            conn.prepareStatement("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint");
        ResultSet result = statement.executeQuery()) {
      result.next();
      return result.getLong(1);
    }
  }
}
