package io.integrityauditor.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.quartz.Trigger;
import org.quartz.listeners.TriggerListenerSupport;
import org.quartz.spi.MutableTrigger;
import org.quartz.spi.OperableTrigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fire times Quartz gave up on while this node was up: no node took the audit's trigger within
 * {@code misfire_threshold} (every thread busy, the machine starved), so Quartz's misfire
 * instruction runs the audit once now and the fire times it passed over are never run. They are
 * recorded as skipped (reason {@code misfire}) and counted, not silently lost. Fire times from
 * before the cluster was up are left alone: running once after downtime is the documented
 * behaviour, not a loss to report. Up means some node now alive was connected to the store ({@link
 * NodeSessions#upSince}), whichever node handles the misfire: with the handling node's own start as
 * the boundary, a node starting while its peers were up but starved dropped the fire times they had
 * missed before its start without a record.
 *
 * <p>Which fire times: those of the trigger's schedule from its next one up to, not including, the
 * catch-up time Quartz then sets (its clock reading, converted to the store's clock by {@link
 * StoreClockJobStore}, like every moment the scheduler compares with fire times). Quartz calls this
 * listener before it computes that time, so the listener only keeps a copy of the trigger as it
 * was, and the records are made when Quartz stores the moved trigger ({@link #stored}, called by
 * {@link StoreClockJobStore} in the same misfire transaction, on the same thread): one boundary for
 * both. With the listener's own clock reading as the boundary, a fire time between the two readings
 * was neither recorded nor run.
 *
 * <p>A catch-up time is not a fire time of the schedule. It is marked in the trigger's job data
 * ({@link #CATCH_UP}) when it is not also one by chance; when the catch-up waits for a thread past
 * the threshold, Quartz misfires the trigger again and moves it to a new catch-up: that is the same
 * late run waiting, not a fire time lost, so only the schedule's fire times after the marked
 * catch-up are recorded (each one once), never the catch-up itself.
 *
 * <p>The records are written after the misfire transaction, one after another on a thread of their
 * own, so a slow or unreachable store holds up the records, never the cluster's fires: the
 * transaction holds Quartz's {@code TRIGGER_ACCESS} lock, which every node needs to fire any
 * trigger (after a long starvation, each record waiting up to the store pool's connection timeout
 * inside the lock silenced the whole cluster for about a minute).
 */
final class Misfires extends TriggerListenerSupport implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Misfires.class);

  /**
   * Key of the trigger's job data holding the catch-up time a misfire set (epoch millis), when that
   * time is not a fire time of the schedule.
   */
  static final String CATCH_UP = "misfireCatchUp";

  /** How long a stopping node goes on writing the records still queued. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  /**
   * The trigger this thread's misfire handling is moving, as it was before Quartz moved it: set by
   * the listener, taken by {@link #stored} on the same thread a moment later.
   */
  private static final ThreadLocal<Misfired> MISFIRING = new ThreadLocal<>();

  private final FiredJobs node;
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread thread = new Thread(r, "misfire-records");
            thread.setDaemon(true);
            return thread;
          });

  Misfires(FiredJobs node) {
    this.node = node;
  }

  @Override
  public String getName() {
    return "integrity-auditor-misfires";
  }

  @Override
  public void triggerMisfired(Trigger trigger) {
    // Quartz hands its own trigger, which it moves next: the copy keeps the schedule as it was
    if (QuartzCluster.GROUP.equals(trigger.getJobKey().getGroup())
        && trigger instanceof MutableTrigger mutable) {
      MISFIRING.set(new Misfired(this, (Trigger) mutable.clone()));
    }
  }

  /**
   * Quartz is storing {@code trigger}: when this thread's misfire handling just moved it, records
   * the fire times it passed over and marks its catch-up time. Called by the job store before every
   * store of a trigger; does nothing for the others.
   *
   * @param clusterUpSince fire times before it came while the cluster was down: not recorded
   * @param storeNow the store's clock now ({@link StoreClock})
   */
  static void stored(OperableTrigger trigger, Instant clusterUpSince, Instant storeNow) {
    Misfired misfired = MISFIRING.get();
    if (misfired == null) {
      return;
    }
    MISFIRING.remove();
    if (misfired.before().getKey().equals(trigger.getKey())) {
      misfired.listener().moved(misfired.before(), trigger, clusterUpSince, storeNow);
    }
  }

  /**
   * The trigger's next fire time that is a fire time of its schedule: its next one, or the one
   * after it when that is a marked catch-up.
   */
  static Date nextScheduled(Trigger trigger) {
    Date next = trigger.getNextFireTime();
    if (next != null
        && String.valueOf(next.getTime()).equals(trigger.getJobDataMap().getString(CATCH_UP))) {
      return trigger.getFireTimeAfter(next);
    }
    return next;
  }

  /** Records what moving {@code before} to {@code after}'s catch-up passed over, and marks it. */
  private void moved(
      Trigger before, OperableTrigger after, Instant clusterUpSince, Instant storeNow) {
    Date catchUp = after.getNextFireTime();
    if (catchUp != null
        && !catchUp.equals(before.getFireTimeAfter(new Date(catchUp.getTime() - 1)))) {
      after.getJobDataMap().put(CATCH_UP, String.valueOf(catchUp.getTime()));
    } else {
      after.getJobDataMap().remove(CATCH_UP);
    }
    long end = catchUp == null ? storeNow.toEpochMilli() + 1 : catchUp.getTime();
    Overrun.passed(before, end)
        .ifPresent(
            passed -> {
              List<Instant> lost =
                  passed.fireTimes().stream().filter(t -> !t.isBefore(clusterUpSince)).toList();
              if (!lost.isEmpty()) {
                writer.execute(new Lost(node, before.getKey().getName(), lost, passed.notListed()));
              }
            });
  }

  /**
   * Writes the records still queued, for at most {@link #CLOSE_WAIT}; those it could not write are
   * logged with their fire times.
   */
  @Override
  public void close() {
    writer.shutdown();
    try {
      if (writer.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writer.shutdownNow().forEach(lost -> LOG.warn("not recorded as skipped: {}", lost));
  }

  /** A trigger being misfired, as it was before, and the listener that saw it. */
  private record Misfired(Misfires listener, Trigger before) {}

  /** Fire times of one audit passed over by one misfire, to record. */
  private record Lost(FiredJobs node, String auditId, List<Instant> fireTimes, long notListed)
      implements Runnable {
    @Override
    public void run() {
      node.skippedMisfire(auditId, fireTimes, notListed);
    }

    @Override
    public String toString() {
      return "audit "
          + auditId
          + ": misfired fire times "
          + fireTimes
          + (notListed > 0 ? " and " + notListed + " more" : "");
    }
  }
}
