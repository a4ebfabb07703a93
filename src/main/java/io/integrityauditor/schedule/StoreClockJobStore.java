package io.integrityauditor.schedule;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.quartz.JobDetail;
import org.quartz.JobPersistenceException;
import org.quartz.SchedulerConfigException;
import org.quartz.Trigger.CompletedExecutionInstruction;
import org.quartz.impl.jdbcjobstore.JobStoreTX;
import org.quartz.impl.jdbcjobstore.SchedulerStateRecord;
import org.quartz.spi.ClassLoadHelper;
import org.quartz.spi.OperableTrigger;
import org.quartz.spi.SchedulerSignaler;
import org.quartz.spi.TriggerFiredResult;
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
 *
 * <p>Fire times on the store's clock: Quartz compares fire times, which every node shares through
 * the store, with the clock of the node that handles them. A node ahead called a fire time misfired
 * before the threshold had passed (2 s ahead: after 3 s of a 5 s threshold, 2,277 misfire skips in
 * a soak against 702 for the node 2 s behind) and set the catch-up to its own now, moving the
 * schedule onto its clock; a node behind fired each fire time late by its skew, as if on time. Here
 * every such comparison uses the store's now ({@link StoreClock}): the misfire threshold ({@link
 * #getMisfireTime}), the catch-up time a misfire sets ({@link #storeTrigger}), and when Quartz's
 * scheduler thread fires an acquired trigger: it waits on this node's clock for the trigger's next
 * fire time, so it is handed a copy whose fire time is converted to this node's clock ({@link
 * #acquireNextTriggers}), and the trigger as stored comes back when it fires.
 */
public class StoreClockJobStore extends JobStoreTX {
  private static final Logger LOG = LoggerFactory.getLogger(StoreClockJobStore.class);

  /**
   * Set while this thread's misfire handling runs (this node's clock when it began, epoch ms): a
   * catch-up time then set is this node's clock reading, converted to the store's ({@link
   * #storeTrigger}).
   */
  private static final ThreadLocal<Long> MISFIRE_HANDLING_SINCE = new ThreadLocal<>();

  /** This node's reading of the store's clock, measured at start and at every check-in. */
  private volatile StoreClock clock;

  /**
   * The triggers acquired and not yet fired or released, as stored (fire times on the store's
   * clock), by fire instance id: the scheduler thread holds copies on this node's clock.
   */
  private final Map<String, OperableTrigger> acquired = new ConcurrentHashMap<>();

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

  /**
   * Measures the store's clock before anything is scheduled: a node writes its audits' triggers
   * before its first check-in.
   */
  @Override
  public void initialize(ClassLoadHelper loadHelper, SchedulerSignaler signaler)
      throws SchedulerConfigException {
    super.initialize(loadHelper, signaler);
    clock = StoreClock.of(getInstanceId());
    try (Connection conn = DBConnectionManager.getInstance().getConnection(getDataSource())) {
      measureClock(conn);
    } catch (SQLException e) {
      // measured again at the first check-in; until then this node's clock is taken as the store's
      LOG.warn("cannot read the store's clock yet: {}", e.getMessage());
    }
  }

  private void measureClock(Connection conn) throws SQLException {
    long before = System.currentTimeMillis();
    long store = StoreClockDelegate.storeMillis(conn);
    long after = System.currentTimeMillis();
    clock.measured(store - (before + after) / 2);
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
      measureClock(conn);
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
    return clock.toLocal(super.calcFailedIfAfter(rec));
  }

  /**
   * Fire times before this moment have misfired: the threshold before the store's now, not this
   * node's. Quartz reads it to acquire triggers (older ones are left to the misfire handling) and
   * to find the misfired ones.
   */
  @Override
  protected long getMisfireTime() {
    return super.getMisfireTime() + clock.storeAheadMillis();
  }

  /**
   * Acquires the triggers due by {@code noLaterThan} (this node's clock) on the store's clock, and
   * hands the scheduler thread copies whose next fire time is on this node's clock: it waits on
   * that clock until then, and fires them together. A batch ends at the first trigger's fire time
   * (or the store's now, if later) plus {@code timeWindow}; Quartz ends it at this node's now, so
   * the triggers it took beyond that end are released (a node ahead would fire them early).
   */
  @Override
  public List<OperableTrigger> acquireNextTriggers(long noLaterThan, int maxCount, long timeWindow)
      throws JobPersistenceException {
    long ahead = clock.storeAheadMillis();
    List<OperableTrigger> taken =
        super.acquireNextTriggers(noLaterThan + ahead, maxCount, timeWindow);
    if (taken.isEmpty()) {
      return taken;
    }
    long batchEnd =
        Math.max(taken.get(0).getNextFireTime().getTime(), System.currentTimeMillis() + ahead)
            + timeWindow;
    List<OperableTrigger> onThisClock = new ArrayList<>(taken.size());
    for (OperableTrigger trigger : taken) {
      if (trigger.getNextFireTime().getTime() > batchEnd) {
        super.releaseAcquiredTrigger(trigger);
        continue;
      }
      OperableTrigger copy = (OperableTrigger) trigger.clone();
      copy.setNextFireTime(new Date(trigger.getNextFireTime().getTime() - ahead));
      acquired.put(trigger.getFireInstanceId(), trigger);
      onThisClock.add(copy);
    }
    return onThisClock;
  }

  /** Fires the acquired triggers as stored, not the scheduler thread's copies. */
  @Override
  public List<TriggerFiredResult> triggersFired(List<OperableTrigger> triggers)
      throws JobPersistenceException {
    return super.triggersFired(triggers.stream().map(this::asStored).toList());
  }

  @Override
  public void releaseAcquiredTrigger(OperableTrigger trigger) {
    super.releaseAcquiredTrigger(asStored(trigger));
  }

  @Override
  public void triggeredJobComplete(
      OperableTrigger trigger, JobDetail jobDetail, CompletedExecutionInstruction instruction) {
    super.triggeredJobComplete(asStored(trigger), jobDetail, instruction);
  }

  /** The acquired trigger as stored, for the scheduler thread's copy of it (taken once). */
  private OperableTrigger asStored(OperableTrigger trigger) {
    String id = trigger.getFireInstanceId();
    OperableTrigger stored = id == null ? null : acquired.remove(id);
    return stored == null ? trigger : stored;
  }

  /** Marks this thread's misfire handling: see {@link #storeTrigger}. */
  @Override
  protected RecoverMisfiredJobsResult recoverMisfiredJobs(Connection conn, boolean recovering)
      throws JobPersistenceException, SQLException {
    MISFIRE_HANDLING_SINCE.set(System.currentTimeMillis());
    try {
      return super.recoverMisfiredJobs(conn, recovering);
    } finally {
      MISFIRE_HANDLING_SINCE.remove();
    }
  }

  /**
   * Logs each recovery with the moment it happens on the store's clock, how old the failed node's
   * last check-in was then, and why it was declared dead: with the kill time, the time from a
   * node's death to its runs being re-run splits into detection and what comes after.
   */
  @Override
  protected void clusterRecover(Connection conn, List<SchedulerStateRecord> failedInstances)
      throws JobPersistenceException {
    long storeNow = clock.millis();
    for (SchedulerStateRecord failed : failedInstances) {
      String id = failed.getSchedulerInstanceId();
      LOG.info(
          "node {} recovers the runs of node {} at {} (store clock; its last check-in {} ms"
              + " before): {}",
          getInstanceId(),
          id,
          Instant.ofEpochMilli(storeNow),
          failed.getCheckinTimestamp() == 0 ? "unknown" : storeNow - failed.getCheckinTimestamp(),
          declaredDead.getOrDefault(id, "declared dead"));
    }
    super.clusterRecover(conn, failedInstances);
  }

  /**
   * When the trigger stored is one Quartz's misfire handling just moved: converts the catch-up time
   * its misfire instruction set (a reading of this node's clock, "now") to the store's clock, then
   * records the fire times the misfire passed over ({@link Misfires#stored}): here, where the
   * catch-up time is known. A fixed interval's schedule restarts at its catch-up, so its start
   * moves with it.
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
    Long misfireHandlingSince = MISFIRE_HANDLING_SINCE.get();
    Date catchUp = trigger.getNextFireTime();
    if (misfireHandlingSince != null
        && catchUp != null
        && catchUp.getTime() >= misfireHandlingSince
        && catchUp.getTime() <= System.currentTimeMillis()) {
      Date onStoreClock = new Date(catchUp.getTime() + clock.storeAheadMillis());
      if (catchUp.equals(trigger.getStartTime())) {
        trigger.setStartTime(onStoreClock);
      }
      trigger.setNextFireTime(onStoreClock);
    }
    Misfires.stored(trigger, Instant.ofEpochMilli(clusterUpSince), clock.now());
    super.storeTrigger(conn, trigger, job, replaceExisting, state, forceState, recovering);
  }

  /** Stops the scheduler's store; ending this node's session releases its lock. */
  @Override
  public void shutdown() {
    try {
      super.shutdown();
    } finally {
      StoreClock.forget(getInstanceId());
      NodeSessions.Own own = session;
      if (own != null) {
        own.close();
      }
    }
  }
}
