package io.integrityauditor.schedule;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.quartz.JobDetail;
import org.quartz.JobPersistenceException;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.impl.jdbcjobstore.SchedulerStateRecord;
import org.quartz.spi.OperableTrigger;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quartz's JDBC store, with the failure detection of its cluster on the store's clock and on the
 * nodes' store sessions. Public only because Quartz instantiates it by name.
 *
 * <p>The store's clock: Quartz declares a node dead when its last check-in, written with that
 * node's clock, is more than check-in + 7.5 s old on the clock of the node that checks: with two
 * nodes' clocks 4 s apart (±2 s of skew), a dead node's runs were recovered 4 s late (13.4 s after
 * a SIGKILL in the soak, for a bound of 9.5 s), and a live node could be declared dead 4 s early.
 * Here check-ins are written in the store's time ({@link StoreClockDelegate}) and compared with the
 * store's time: this node's offset from it is measured at every check-in.
 *
 * <p>The sessions: a node whose process died is also declared dead as soon as its store session is
 * gone and it missed a check-in ({@link NodeSessions}), about 1-2 check-ins after its death instead
 * of Quartz's check-in + 7.5 s, which alone used up the whole recovery bound of 2 x check-in + 7.5
 * s (a killed run was re-run 8.6 s after the SIGKILL on an idle machine, 9.9-15.6 s under load).
 */
public class StoreClockJobStore extends JobStoreTX {
  private static final Logger LOG = LoggerFactory.getLogger(StoreClockJobStore.class);

  /** The store's clock minus this node's, as measured at the latest check-in. */
  private volatile long storeAhead;

  /** The data source of this node's own session; null when not configured. */
  private volatile String sessionDataSource;

  private volatile NodeSessions.Own session;

  /**
   * Since when some node now alive has been connected to the store, as of the latest check-in
   * (store clock, epoch ms): fire times a misfire passes over from before it are downtime ({@link
   * Misfires}).
   */
  private volatile long clusterUpSince = Long.MAX_VALUE;

  /** Why each node of the latest failure detection was declared dead, by instance id. */
  private final Map<String, String> declaredDead = new ConcurrentHashMap<>();

  /**
   * The Quartz data source (in {@link DBConnectionManager}) that opens this node's own session
   * ({@code org.quartz.jobStore.nodeSessionDataSource}); without one, only Quartz's rule applies.
   */
  public void setNodeSessionDataSource(String name) {
    this.sessionDataSource = name;
  }

  /** Holds this node's session lock before each check-in: a check-in never goes without it. */
  @Override
  protected List<SchedulerStateRecord> clusterCheckIn(Connection conn)
      throws JobPersistenceException {
    String dataSource = sessionDataSource;
    if (dataSource != null) {
      if (session == null) {
        // here, not in the setter: Quartz sets the instance id after the properties
        session =
            new NodeSessions.Own(
                () -> DBConnectionManager.getInstance().getConnection(dataSource), getInstanceId());
      }
      try {
        session.hold();
      } catch (SQLException e) {
        throw new JobPersistenceException(
            "cannot hold this node's store session: " + e.getMessage(), e);
      }
    }
    List<SchedulerStateRecord> failed = super.clusterCheckIn(conn);
    try {
      clusterUpSince = NodeSessions.upSince(conn);
    } catch (SQLException e) {
      throw new JobPersistenceException(
          "cannot read since when the cluster is up: " + e.getMessage(), e);
    }
    return failed;
  }

  @Override
  protected List<SchedulerStateRecord> findFailedInstances(Connection conn)
      throws JobPersistenceException {
    NodeSessions.Cluster cluster;
    try {
      long before = System.currentTimeMillis();
      long store = StoreClockDelegate.storeMillis(conn);
      long after = System.currentTimeMillis();
      storeAhead = store - (before + after) / 2;
      cluster = NodeSessions.read(conn, tablePrefix, getInstanceName());
    } catch (SQLException e) {
      throw new JobPersistenceException("cannot read the store's clock: " + e.getMessage(), e);
    }
    List<SchedulerStateRecord> failed = new ArrayList<>(super.findFailedInstances(conn));
    declaredDead.clear();
    for (SchedulerStateRecord rec : failed) {
      declaredDead.put(
          rec.getSchedulerInstanceId(),
          rec.getSchedulerInstanceId().equals(getInstanceId())
              ? "its own runs from before this start"
              : rec.getCheckinTimestamp() == 0
                  ? "fired triggers and no check-in"
                  : "check-in + 7.5 s without a check-in");
    }
    for (NodeSessions.NodeState node : cluster.sessionEnded()) {
      if (!node.instanceId().equals(getInstanceId())
          && !declaredDead.containsKey(node.instanceId())) {
        SchedulerStateRecord rec = new SchedulerStateRecord();
        rec.setSchedulerInstanceId(node.instanceId());
        rec.setCheckinTimestamp(node.checkin());
        rec.setCheckinInterval(node.interval());
        failed.add(rec);
        declaredDead.put(node.instanceId(), "its store session ended and it missed a check-in");
      }
    }
    return failed;
  }

  /** The moment (on this node's clock) after which {@code rec}'s node counts as failed. */
  @Override
  protected long calcFailedIfAfter(SchedulerStateRecord rec) {
    return super.calcFailedIfAfter(rec) - storeAhead;
  }

  /**
   * Logs each recovery with the moment it happens on the store's clock, how old the failed node's
   * last check-in was then, and why it was declared dead: with the kill time, the time from a
   * node's death to its runs being re-run splits into detection and what comes after.
   */
  @Override
  protected void clusterRecover(Connection conn, List<SchedulerStateRecord> failedInstances)
      throws JobPersistenceException {
    long storeNow = System.currentTimeMillis() + storeAhead;
    for (SchedulerStateRecord failed : failedInstances) {
      String id = failed.getSchedulerInstanceId();
      LOG.info(
          "node {} recovers the runs of node {} at {} (store clock, epoch ms; its last check-in {}"
              + " ms before): {}",
          getInstanceId(),
          id,
          storeNow,
          failed.getCheckinTimestamp() == 0 ? "unknown" : storeNow - failed.getCheckinTimestamp(),
          declaredDead.getOrDefault(id, "declared dead"));
    }
    super.clusterRecover(conn, failedInstances);
  }

  /**
   * Records the fire times a misfire passed over when the trigger stored is one Quartz's misfire
   * handling just moved ({@link Misfires#stored}): here, where the catch-up time Quartz computed is
   * known.
   */
  @Override
  protected void storeTrigger(
      Connection conn,
      OperableTrigger trigger,
      JobDetail job,
      boolean replaceExisting,
      String state,
      boolean forceState,
      boolean recovering)
      throws JobPersistenceException {
    Misfires.stored(trigger, Instant.ofEpochMilli(clusterUpSince));
    super.storeTrigger(conn, trigger, job, replaceExisting, state, forceState, recovering);
  }

  /** Stops the scheduler's store; ending this node's session releases its lock. */
  @Override
  public void shutdown() {
    try {
      super.shutdown();
    } finally {
      NodeSessions.Own own = session;
      if (own != null) {
        own.close();
      }
    }
  }
}
