package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Queries of an audit still running on its target for a node that lost the audit's lease (killed,
 * or cut off from the store): the store shows the run interrupted, but PostgreSQL only notices a
 * vanished client when it next talks to it. Whoever holds the lease ends them before running the
 * audit, so that "an audit never overlaps itself" holds on the database, not only in the run
 * history. Only a node that lost the lease while running leaves one, and that always shows in the
 * store (its run still 'running', or marked interrupted within the time a query of it may last):
 * the target is searched only then, not before every run ({@code RunStore.start}). They are found
 * by the application name every audit transaction sets (see {@link Attempts}); the worker's role
 * may terminate its own sessions without further privileges.
 */
public final class OrphanedQueries {
  /** How long to wait for a terminated backend to be gone (pg_terminate_backend's timeout). */
  static final Duration WAIT = Duration.ofSeconds(5);

  private OrphanedQueries() {}

  /**
   * Terminates every other session on the target running {@code audit} and waits for them to end.
   * Call only while holding the audit's lease: no live node then runs the audit.
   *
   * @return how many sessions were terminated
   */
  public static int terminate(DataSource target, Audit audit) throws SQLException {
    try (Connection connection = target.getConnection()) {
      try {
        List<Integer> pids = new ArrayList<>();
        try (PreparedStatement find =
            connection.prepareStatement(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND application_name = ? AND pid <> pg_backend_pid()")) {
          find.setString(1, Attempts.applicationName(audit));
          try (ResultSet rows = find.executeQuery()) {
            while (rows.next()) {
              pids.add(rows.getInt(1));
            }
          }
        }
        for (int pid : pids) {
          // with a timeout, pg_terminate_backend waits until the backend has exited
          try (PreparedStatement terminate =
              connection.prepareStatement("SELECT pg_terminate_backend(?, ?)")) {
            terminate.setInt(1, pid);
            terminate.setLong(2, WAIT.toMillis());
            terminate.executeQuery().close();
          }
        }
        return pids.size();
      } finally {
        connection.rollback();
      }
    }
  }
}
