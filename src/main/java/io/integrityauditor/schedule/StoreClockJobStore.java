package io.integrityauditor.schedule;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.quartz.JobPersistenceException;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.impl.jdbcjobstore.SchedulerStateRecord;

/**
 * Quartz's JDBC store, with the failure detection of its cluster on the store's clock. Quartz
 * declares a node dead when its last check-in, written with that node's clock, is more than
 * check-in + 7.5 s old on the clock of the node that checks: with two nodes' clocks 4 s apart (±2 s
 * of skew), a dead node's runs were recovered 4 s late (13.4 s after a SIGKILL in the soak, for a
 * bound of 9.5 s), and a live node could be declared dead 4 s early. Here check-ins are written in
 * the store's time ({@link StoreClockDelegate}) and compared with the store's time: this node's
 * offset from it is measured at every check-in. Public only because Quartz instantiates it by name.
 */
public class StoreClockJobStore extends JobStoreTX {
  /** The store's clock minus this node's, as measured at the latest check-in. */
  private volatile long storeAhead;

  @Override
  protected List<SchedulerStateRecord> findFailedInstances(Connection conn)
      throws JobPersistenceException {
    try {
      long before = System.currentTimeMillis();
      long store = StoreClockDelegate.storeMillis(conn);
      long after = System.currentTimeMillis();
      storeAhead = store - (before + after) / 2;
    } catch (SQLException e) {
      throw new JobPersistenceException("cannot read the store's clock: " + e.getMessage(), e);
    }
    return super.findFailedInstances(conn);
  }

  /** The moment (on this node's clock) after which {@code rec}'s node counts as failed. */
  @Override
  protected long calcFailedIfAfter(SchedulerStateRecord rec) {
    return super.calcFailedIfAfter(rec) - storeAhead;
  }
}
