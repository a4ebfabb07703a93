package io.integrityauditor.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.quartz.Trigger;
import org.quartz.listeners.TriggerListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fire times Quartz gave up on while this node was up: no node took the audit's trigger within
 * {@code misfire_threshold} (every thread busy, the machine starved), so Quartz's misfire
 * instruction runs the audit once now and the fire times it passed over are never run. They are
 * recorded as skipped (reason {@code misfire}) and counted, not silently lost. Fire times from
 * before this node started are left alone: the cluster was down then, and running once after
 * downtime is the documented behaviour, not a loss to report. The callback runs on the node whose
 * misfire handler took the trigger, once per misfire, before Quartz moves the trigger on.
 *
 * <p>The callback runs inside Quartz's {@code TRIGGER_ACCESS} lock transaction, which every node
 * needs to fire any trigger: the records are written afterwards, one after another on a thread of
 * their own, so a slow or unreachable store holds up the records, never the cluster's fires (after
 * a long starvation, each record waiting up to the store pool's connection timeout inside the lock
 * silenced the whole cluster for about a minute).
 */
final class Misfires extends TriggerListenerSupport implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Misfires.class);

  /** How long a stopping node goes on writing the records still queued. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final FiredJobs node;
  private final Instant started;
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread thread = new Thread(r, "misfire-records");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * @param started when this node's scheduler started
   */
  Misfires(FiredJobs node, Instant started) {
    this.node = node;
    this.started = started;
  }

  @Override
  public String getName() {
    return "integrity-auditor-misfires";
  }

  @Override
  public void triggerMisfired(Trigger trigger) {
    if (!QuartzCluster.GROUP.equals(trigger.getJobKey().getGroup())) {
      return;
    }
    Overrun.passed(trigger, Instant.now())
        .ifPresent(
            passed -> {
              List<Instant> lost =
                  passed.fireTimes().stream().filter(t -> !t.isBefore(started)).toList();
              if (!lost.isEmpty()) {
                writer.execute(
                    new Lost(node, trigger.getJobKey().getName(), lost, passed.notListed()));
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
