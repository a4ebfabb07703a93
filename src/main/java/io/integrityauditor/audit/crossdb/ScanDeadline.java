package io.integrityauditor.audit.crossdb;

import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.time.Duration;

/**
 * The end of a cross-database scan's time, taken when the scan starts. Both servers' statement
 * timeouts bound each statement; this bounds the worker's merge of the two streams as a whole.
 */
record ScanDeadline(long endNanos, Duration timeout) {

  static ScanDeadline after(Duration timeout) {
    return new ScanDeadline(System.nanoTime() + timeout.toNanos(), timeout);
  }

  /** Past the deadline, the run is a timeout, never a result. */
  void check() throws SQLException {
    if (System.nanoTime() > endNanos) {
      // PostgreSQL's own code for a cancelled statement
      throw new SQLTimeoutException(
          "the cross-database scan did not finish within the audit's timeout of "
              + timeout.toSeconds()
              + " s",
          "57014");
    }
  }

  /**
   * What a merge checks while it waits for a batch of one side: this deadline, and the failure of
   * either stream (so a dead server ends the wait instead of the other side's timeout).
   */
  ReadAhead.WaitCheck orFailureOf(ReadAhead child, ReadAhead parent) {
    return () -> {
      check();
      child.throwFailure();
      parent.throwFailure();
    };
  }
}
