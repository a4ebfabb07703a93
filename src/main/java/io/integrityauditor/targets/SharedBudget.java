package io.integrityauditor.targets;

import java.sql.SQLException;
import java.time.Duration;

/**
 * The places of each server's connection budget, shared with the other processes that connect to it
 * (the nodes of a cluster, a {@code check} next to them): a connection to a server is opened only
 * in a place taken here, and the place is given back once the connection is closed, so all of them
 * together never hold more connections than the budget.
 */
public interface SharedBudget extends AutoCloseable {
  /** One place of a server's budget; {@link #release} gives it back (once; never throws). */
  interface Place {
    void release();
  }

  /**
   * A free place of {@code server}'s {@code budget}, waiting for one up to {@code wait}; else fails
   * with {@code 08001} saying what to change.
   *
   * @param beforeWaiting run once when no place is free at once (this process closes its own idle
   *     connections, so that it never waits for a place it holds itself)
   */
  Place take(String server, int budget, Duration wait, Runnable beforeWaiting) throws SQLException;

  /** Whether some connection to {@code server} waits for a place, in any process. */
  boolean wanted(String server);

  /** Called every second: keeps the places held valid (re-taken after the store came back). */
  void maintain();

  @Override
  void close();

  /** No other process shares the budgets: the process's own count is all there is. */
  SharedBudget PROCESS_ONLY =
      new SharedBudget() {
        @Override
        public Place take(String server, int budget, Duration wait, Runnable beforeWaiting) {
          return () -> {};
        }

        @Override
        public boolean wanted(String server) {
          return false;
        }

        @Override
        public void maintain() {}

        @Override
        public void close() {}
      };
}
