package io.integrityauditor.run;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clears what an audit can leave on a pooled session after its transaction is rolled back. A
 * rollback undoes settings ({@code set_config}, even with is_local false), but session-level
 * advisory locks outlive it: an {@code sql} audit (or a function it calls) taking {@code
 * pg_advisory_lock} left the lock on an idle pooled session, and the next run waiting for it timed
 * out. {@code DISCARD ALL} would clear it too, but it also resets the session's read-only default
 * that the pool set, so it is not used.
 */
final class SessionReset {
  private static final Logger LOG = LoggerFactory.getLogger(SessionReset.class);

  private SessionReset() {}

  /**
   * Releases every advisory lock of the session as the last statement of the work's transaction,
   * before it is rolled back: the same reset without a transaction of its own (two round trips
   * fewer per run, docs/performance.md). Only on a transaction that is not aborted, i.e. after work
   * that completed; {@code false} when the reset failed, and then {@link #beforeReturn} must run.
   */
  static boolean inTransaction(Connection connection) {
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_unlock_all()");
      return true;
    } catch (SQLException e) {
      LOG.debug("session reset in the transaction failed; resetting after it: {}", e.getSQLState());
      return false;
    }
  }

  /**
   * Releases every advisory lock of the session, in a transaction of its own that is rolled back; a
   * session that cannot be reset is evicted from the pool (or ended) instead of being reused.
   */
  static void beforeReturn(Connection connection, DataSource pool) {
    try (Statement statement = connection.createStatement()) {
      statement.execute("SELECT pg_advisory_unlock_all()");
      connection.rollback();
    } catch (SQLException e) {
      LOG.debug("session could not be reset; evicting it: {}", e.getSQLState());
      if (pool instanceof HikariDataSource hikari) {
        hikari.evictConnection(connection);
      } else {
        abortQuietly(connection);
      }
    }
  }

  /** Ends the session, so that whoever pools it closes it instead of keeping it idle. */
  private static void abortQuietly(Connection connection) {
    try {
      connection.abort(Runnable::run);
    } catch (SQLException e) {
      LOG.debug("session could not be aborted: {}", e.getSQLState());
    }
  }
}
