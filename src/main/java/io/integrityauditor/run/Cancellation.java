package io.integrityauditor.run;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.PGConnection;

/**
 * Lets a graceful shutdown stop running audits: {@link #cancelAll()} sends PostgreSQL's cancel
 * request for every query in flight (the server stops it at once) and makes waiting runs give up.
 * Runs cut short this way are recorded as {@code interrupted}.
 */
public final class Cancellation {
  private final Set<Connection> inFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean cancelled;

  public boolean isCancelled() {
    return cancelled;
  }

  void register(Connection connection) {
    inFlight.add(connection);
    if (cancelled) {
      cancel(connection);
    }
  }

  void unregister(Connection connection) {
    inFlight.remove(connection);
  }

  /**
   * Sleeps for {@code duration} unless cancelled first.
   *
   * @return false when cancelled (or interrupted) during the pause
   */
  public boolean pause(Duration duration) {
    long deadline = System.nanoTime() + duration.toNanos();
    try {
      while (!cancelled && System.nanoTime() < deadline) {
        Thread.sleep(Math.min(100, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return !cancelled;
  }

  public void cancelAll() {
    cancelled = true;
    inFlight.forEach(Cancellation::cancel);
  }

  private static void cancel(Connection connection) {
    try {
      connection.unwrap(PGConnection.class).cancelQuery();
    } catch (SQLException ignored) {
      // the connection is already gone: nothing runs on it
    }
  }
}
