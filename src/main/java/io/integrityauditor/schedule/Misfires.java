package io.integrityauditor.schedule;

import java.time.Instant;
import java.util.List;
import org.quartz.Trigger;
import org.quartz.listeners.TriggerListenerSupport;

/**
 * Fire times Quartz gave up on while this node was up: no node took the audit's trigger within
 * {@code misfire_threshold} (every thread busy, the machine starved), so Quartz's misfire
 * instruction runs the audit once now and the fire times it passed over are never run. They are
 * recorded as skipped (reason {@code misfire}) and counted, not silently lost. Fire times from
 * before this node started are left alone: the cluster was down then, and running once after
 * downtime is the documented behaviour, not a loss to report. The callback runs on the node whose
 * misfire handler took the trigger, once per misfire, before Quartz moves the trigger on.
 */
final class Misfires extends TriggerListenerSupport {
  private final FiredJobs node;
  private final Instant started;

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
                node.skippedMisfire(trigger.getJobKey().getName(), lost, passed.notListed());
              }
            });
  }
}
